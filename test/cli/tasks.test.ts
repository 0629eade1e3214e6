// Tasks and depends_on through the real command line: `ps` says what waits and what blocks it,
// `restart TASK` runs a task again, and a Python app under Debian's uvicorn starts after its migration.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execaSync } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../shared/process.ts';
import { runCli, psJson, stackDir, startUp } from '../helpers/cli.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Each CLI call starts a Node process, a second or more on a busy machine. */
const MANY_CLI_CALLS_MS = 90_000;

function upIn(yaml: string): { dir: string; up: ReturnType<typeof startUp> } {
  const { dir, cleanup } = stackDir(yaml);
  const up = startUp(dir);
  cleanups.push(cleanup, async () => {
    await runCli(['down'], dir);
    up.child.kill('SIGKILL');
    await up.child;
  });
  return { dir, up };
}

async function waitForProcess(dir: string, name: string, state: string): Promise<ProcessInfo> {
  return waitFor(async () => (await psJson(dir)).find((p) => p.name === name && p.state === state), `${name} to be ${state}`, { timeout: 20_000, interval: 200 });
}

describe('tasks on the command line', () => {
  it(
    'ps shows what waits and what blocks it with the task stderr; restart TASK runs it again and its dependants start',
    async () => {
      const control = path.join(mkdtempSync(path.join(os.tmpdir(), 'sy-task-cli-')), 'control');
      writeFileSync(control, 'wait');
      const { dir, up } = upIn(
        [
          'tasks:',
          '  migrate:',
          `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(FIXTURES, 'task-step.js'))}]`,
          `    env: { CONTROL_FILE: ${JSON.stringify(control)} }`,
          'apps:',
          '  api:',
          `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(FIXTURES, 'http-worker.js'))}]`,
          '    depends_on: { migrate: completed }',
          '',
        ].join('\n'),
      );
      await waitForProcess(dir, 'migrate', 'starting');
      const waiting = await runCli(['ps'], dir);
      expect(String(waiting.stdout)).toMatch(/api-1\s+waiting\s.*waiting for migrate \(completed\)/);

      writeFileSync(control, 'fail');
      await waitForProcess(dir, 'api-1', 'blocked');
      const blocked = String((await runCli(['ps'], dir)).stdout);
      expect(blocked).toMatch(/api-1\s+blocked\s.*blocked: migrate failed \(exit 1\)/);
      expect(blocked).toContain('migrate failed; its last stderr lines:\n  migration 0042 failed: relation "users" already exists (fixture)');

      const refused = await runCli(['restart', 'api'], dir);
      expect(refused.exitCode).toBe(1);
      expect(String(refused.stderr)).toContain('cannot restart api: blocked: migrate failed (exit 1); fix migrate, then run it again (switchyard restart migrate)');

      writeFileSync(control, 'ok');
      const rerun = await runCli(['restart', 'migrate'], dir);
      expect(rerun.exitCode, String(rerun.stderr)).toBe(0);
      expect(String(rerun.stdout)).toBe('restarted migrate');
      const api = await waitForProcess(dir, 'api-1', 'ready');
      const migrate = (await psJson(dir)).find((p) => p.name === 'migrate');
      expect(migrate).toMatchObject({ state: 'exited', manualRestarts: 1 });
      expect(api.startedAt).toBeGreaterThanOrEqual(migrate?.lastExit?.at ?? Infinity);
      // `up` says so once the task has run to completion and the app is ready.
      await up.waitForOutput('all 1 ready');
      expect(up.output()).toMatch(/all 1 ready in \d+ ms, 1 task done \(api-1:\d+\)/);
    },
    MANY_CLI_CALLS_MS,
  );

  const uvicorn = (() => {
    if (!existsSync('/usr/bin/python3')) return false;
    return execaSync('/usr/bin/python3', ['-c', 'import uvicorn'], { reject: false }).exitCode === 0;
  })();

  it.skipIf(!uvicorn)(
    'starts a Python app under uvicorn only after its Python migration has run (skipped without Debian python3-uvicorn)',
    async () => {
      const python = path.join(FIXTURES, 'python');
      const db = path.join(mkdtempSync(path.join(os.tmpdir(), 'sy-task-db-')), 'db.sqlite');
      const { dir } = upIn(
        [
          'tasks:',
          '  migrate:',
          '    command: /usr/bin/python3 tasks_migrate.py',
          `    cwd: ${JSON.stringify(python)}`,
          `    env: { DB_PATH: ${JSON.stringify(db)} }`,
          'apps:',
          '  api:',
          '    command: /usr/bin/python3 -m uvicorn tasks_asgi:app --host 127.0.0.1',
          `    cwd: ${JSON.stringify(python)}`,
          // uvicorn reads its port from UVICORN_PORT, so the command needs no $PORT.
          '    port_env: UVICORN_PORT',
          `    env: { DB_PATH: ${JSON.stringify(db)} }`,
          '    health: { path: /healthz }',
          '    depends_on: { migrate: completed }',
          '',
        ].join('\n'),
      );
      const api = await waitForProcess(dir, 'api-1', 'ready');
      const migrate = (await psJson(dir)).find((p) => p.name === 'migrate');
      expect(migrate).toMatchObject({ state: 'exited', lastExit: { code: 0 } });
      expect(api.startedAt).toBeGreaterThanOrEqual(migrate?.lastExit?.at ?? Infinity);
      // The app reads the table the migration made: it would answer 500 had it started first.
      const response = await fetch(`http://127.0.0.1:${api.port}/`);
      expect(await response.json()).toEqual({ users: 1 });
    },
    MANY_CLI_CALLS_MS,
  );
});
