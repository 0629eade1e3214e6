// What the stack file's check says about a command: its variables, its program, and every other
// mistake of the same app reported in the same run.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStack } from '../../main/core/config/load.ts';
import { formatPlan } from '../../main/core/config/plan.ts';
import { makeStackDir, yaml } from './stack-dir.ts';
import type { StackDir } from './stack-dir.ts';

let stack: StackDir;
beforeEach(async () => {
  stack = await makeStackDir();
});
afterEach(async () => {
  await stack.remove();
});

async function load(lines: string[], options: { checkCommands?: boolean; inheritedEnv?: NodeJS.ProcessEnv } = {}) {
  const file = await stack.write('switchyard.yaml', yaml(...lines));
  const { spec, issues } = await loadStack(file, { checkPorts: false, checkCommands: options.checkCommands ?? false, inheritedEnv: options.inheritedEnv ?? { HOME: '/home/me' } });
  return { spec, issues: issues.map(({ line, col, severity, message }) => ({ line, col, severity, message })) };
}

describe('every mistake of an app at once', () => {
  it('reports a missing cwd beside a replicas written as text', async () => {
    const { spec, issues } = await load(['apps:', '  api:', '    command: node a.js', '    cwd: ./nope', '    replicas: "3"']);
    expect(spec).toBeNull();
    expect(issues.map(({ line, col }) => `${line}:${col}`)).toEqual(['4:10', '5:15']);
    expect(issues[0]?.message).toMatch(/^cwd '\.\/nope' of app 'api' does not exist/);
    expect(issues[1]?.message).toMatch(/^replicas must be a whole number/);
  });

  it('checks the other fields of an app whose command or keys are wrong', async () => {
    const { issues } = await load(['apps:', '  api:', '    command: 42', '    cwd: ./nope', '    replica: 2', '    env_file: .env.missing']);
    expect(issues.map(({ line, col }) => `${line}:${col}`)).toEqual(['3:14', '4:10', '5:5', '6:15']);
  });
});

describe('variables in a command', () => {
  it('expands $PORT, the env, the env_file and the inherited environment, and refuses the rest at their column', async () => {
    await stack.write('.env', 'FROM_FILE=1\n');
    const { spec, issues } = await load([
      'apps:',
      '  api:',
      '    command: run --port $PORT --x ${FROM_FILE}${OWN}$HOME ${LEVEL:-info} $SWITCHYARD_APP-$SWITCHYARD_WORKER',
      '    env: { OWN: "2" }',
      '    env_file: .env',
      '  bad:',
      '    command: run --port $PORTT ${MISSING}',
      '  listed:',
      '    command: [run, "--bind=127.0.0.1:${NOPE}"]',
      '    port_env: none',
      '  portless:',
      '    command: run $PORT',
      '    port_env: none',
    ]);
    expect(spec).toBeNull();
    expect(issues.map(({ line, col }) => `${line}:${col}`)).toEqual(['7:25', '7:32', '9:38', '12:18']);
    expect(issues[0]?.message).toMatch(/^'\$PORTT' names PORTT, which is not defined: .* \(command of app 'bad'\); did you mean \$PORT\?$/);
    expect(issues[3]?.message).toMatch(/^'\$PORT' names PORT, which is not defined/);
  });

  it('prints worker 1 command as it will run, with a placeholder for the port found at start', async () => {
    const { spec, issues } = await load(['apps:', '  api:', '    command: gunicorn -b 127.0.0.1:$PORT --workers ${WORKERS:-3} main:app', '    env: { GREETING: "a b" }', '  say:', '    command: [echo, $GREETING, $$HOME]', '    env: { GREETING: "a b" }', '    port_env: none']);
    expect(issues).toEqual([]);
    const plan = formatPlan(spec!, {});
    expect(plan).toContain('  api  gunicorn -b 127.0.0.1:<port> --workers 3 main:app');
    expect(plan).toContain(`  say  echo 'a b' '$HOME'`);
    expect(plan).toContain('(commands as worker 1 runs them; <port> is the port each worker is given when it starts)');
  });
});

describe.skipIf(process.platform === 'win32')('where a program is looked for', () => {
  it("takes a program path relative to the app's cwd, as a shell there would", async () => {
    await stack.write('backend/bin/server', '#!/bin/sh\n', { executable: true });
    await stack.write('backend/venv/bin/gunicorn', '#!/bin/sh\n', { executable: true });
    const { issues } = await load(['apps:', '  a: { command: ./bin/server, cwd: backend }', '  b: { command: venv/bin/gunicorn app:app, cwd: backend }'], { checkCommands: true });
    expect(issues).toEqual([]);
  });

  it('says where it looked, and where the file is when it is relative to the stack folder instead', async () => {
    await stack.write('bin/server', '#!/bin/sh\n', { executable: true });
    await stack.write('backend/plain', 'x');
    await stack.write('backend/tool', '#!/bin/sh\n', { executable: true });
    const { issues } = await load(
      ['apps:', '  a: { command: ./bin/server, cwd: backend }', '  b: { command: ./plain, cwd: backend }', '  c: { command: tool, cwd: backend, env: { PATH: /nowhere } }'],
      { checkCommands: true },
    );
    const backend = path.join(stack.dir, 'backend');
    expect(issues.map((issue) => issue.message)).toEqual([
      `command './bin/server' not found (app 'a'): looked for ${path.join(backend, 'bin/server')}, as a program path is relative to the app's cwd 'backend' (as in a shell started there); fix the path; there is one at ${path.join(stack.dir, 'bin/server')}, so from cwd 'backend' write ../bin/server`,
      `command './plain' is not executable (app 'b'): looked for ${path.join(backend, 'plain')}, as a program path is relative to the app's cwd 'backend' (as in a shell started there); make it executable (chmod +x ${path.join(backend, 'plain')})`,
      `command 'tool' not found on PATH (app 'c'): looked in /nowhere; install it, fix the name, or give its path relative to the app's cwd, like ./venv/bin/tool; ${path.join(backend, 'tool')} exists, but a bare name is looked for on PATH only: write ./tool`,
    ]);
  });
});
