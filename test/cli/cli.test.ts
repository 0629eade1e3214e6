import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import type { ProcessInfo } from '../../shared/process.ts';
import { runCli, stackDir, startUp, type UpProcess } from '../helpers/cli.ts';
import { alive, describeProcesses, newMarker, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const node = JSON.stringify(process.execPath);
const fixture = (name: string) => JSON.stringify(path.join(FIXTURES, name));

/** A stack of fixture apps with fast health checks. */
function yamlFor(apps: Record<string, { fixture: string; replicas?: number; extra?: string; portless?: boolean }>): string {
  const lines = ['name: clitest', 'apps:'];
  for (const [name, app] of Object.entries(apps)) {
    lines.push(
      `  ${name}:`,
      `    command: [${node}, ${fixture(app.fixture)}]`,
      `    replicas: ${app.replicas ?? 1}`,
      app.portless ? '    port_env: none' : '    health: { path: /healthz, interval: 200ms, timeout: 2s }',
      '    stop: { timeout: 2s }',
      ...(app.extra ? [app.extra] : []),
    );
  }
  return lines.join('\n') + '\n';
}

/** Each CLI call starts a Node process, a second or more on a busy machine: a test of a dozen calls needs more than the default 30 s. */
const MANY_CLI_CALLS_MS = 90_000;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function upIn(yaml: string, env: Record<string, string> = {}): { up: UpProcess; dir: string } {
  const { dir, cleanup } = stackDir(yaml);
  const up = startUp(dir, [], env);
  cleanups.push(cleanup, async () => {
    up.child.kill('SIGKILL');
    await up.child;
  });
  return { up, dir };
}

async function psJson(dir: string): Promise<ProcessInfo[]> {
  const result = await runCli(['ps', '--json'], dir);
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return JSON.parse(String(result.stdout)) as ProcessInfo[];
}

describe('switchyard check', () => {
  it('prints the plan of a valid stack and exits 0', async () => {
    const { dir, cleanup } = stackDir(yamlFor({ api: { fixture: 'graceful.js', replicas: 3 } }));
    cleanups.push(cleanup);
    const result = await runCli(['check'], dir);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Stack clitest/);
    expect(result.stdout).toMatch(/api .*3 workers/);
  });

  it('exits 2 and names file, line and column of each mistake', async () => {
    const { dir, cleanup } = stackDir(['apps:', '  api:', '    command: node x.js', '    replica: 2', '    balance: roundrobin', ''].join('\n'));
    cleanups.push(cleanup);
    const result = await runCli(['check'], dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/switchyard\.yaml:4:5: error: .*'replica'.*did you mean 'replicas'/);
    expect(result.stderr).toMatch(/switchyard\.yaml:5:14: error: balance must be one of round-robin, least-conn, ip-hash/);
  });

  it('warns about an app whose cwd is outside the stack folder, in check and at up, and runs it all the same', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'sy-outside-'));
    cleanups.push(() => rmSync(outside, { recursive: true, force: true }));
    const { dir, cleanup } = stackDir(yamlFor({ api: { fixture: 'graceful.js', extra: `    cwd: ${JSON.stringify(outside)}` } }));
    cleanups.push(cleanup);
    const warning = `switchyard.yaml:8:10: warning: cwd '${outside}' of app 'api' is outside the stack's folder`;
    const checked = await runCli(['check'], dir);
    expect(checked.exitCode).toBe(0);
    expect(checked.stderr).toContain(warning);
    expect(checked.stdout).toMatch(/api .*in .*sy-outside-/);

    const up = startUp(dir);
    cleanups.push(async () => {
      up.child.kill('SIGKILL');
      await up.child;
    });
    await up.waitForOutput('all 1 ready');
    expect(up.output()).toContain(warning);
    await runCli(['down'], dir);
    expect((await up.child).exitCode).toBe(0);
  });

  it("refuses a route to the proxy's own address in check and in up, exit 2, at the route's line", async () => {
    const port = await getPort();
    const { dir, cleanup } = stackDir(
      ['proxy:', `  listen: ${port}`, '  routes:', `    - to: http://localhost:${port}/`, ...yamlFor({ api: { fixture: 'graceful.js' } }).split('\n')].join('\n'),
    );
    cleanups.push(cleanup);
    for (const command of ['check', 'up']) {
      const result = await runCli([command], dir);
      expect(result.exitCode, command).toBe(2);
      expect(result.stderr).toContain(`switchyard.yaml:4:11: error: to 'http://localhost:${port}/' is the proxy's own address (it listens on 127.0.0.1:${port})`);
    }
  });

  it('refuses a stack file over 1 MiB and an alias bomb with a positioned error and exit 2, in check and in up', async () => {
    const large = stackDir(`${yamlFor({ api: { fixture: 'graceful.js' } })}${`#${'x'.repeat(99)}\n`.repeat(20_000)}`);
    cleanups.push(large.cleanup);
    const bomb = stackDir(
      ['apps:', '  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...'bcdefgh'.split('').map((name, i) => `  ${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`), ''].join('\n'),
    );
    cleanups.push(bomb.cleanup);
    for (const command of ['check', 'up']) {
      const tooLarge = await runCli([command], large.dir);
      expect(tooLarge.exitCode, command).toBe(2);
      expect(tooLarge.stderr).toContain('switchyard.yaml:1:1: error: the stack file is larger than 1 MiB');
      const bombed = await runCli([command], bomb.dir);
      expect(bombed.exitCode, command).toBe(2);
      expect(bombed.stderr).toContain('switchyard.yaml:7:10: error: this alias makes the aliases of the file expand to more than 100000 values');
      expect(bombed.stderr).not.toContain('unexpected error');
    }
  });

  it('exits 2 with a clear message when there is no stack file', async () => {
    const { dir, cleanup } = stackDir('');
    cleanups.push(cleanup);
    const result = await runCli(['check', '-f', 'nope.yaml'], dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/nope\.yaml does not exist/);
  });

  it('exits 2 on unknown commands and bad usage', async () => {
    const { dir, cleanup } = stackDir('');
    cleanups.push(cleanup);
    expect((await runCli(['frobnicate'], dir)).exitCode).toBe(2);
    expect((await runCli(['scale', 'api'], dir)).stderr).toMatch(/usage: switchyard scale APP N/);
    expect((await runCli(['ps', 'extra'], dir)).exitCode).toBe(2);
  });
});

describe('switchyard up and the commands that reach it', () => {
  it('runs the stack, answers ps/logs/restart/scale, and down stops it and removes the run file', { timeout: MANY_CLI_CALLS_MS }, async () => {
    const { up, dir } = upIn(yamlFor({ api: { fixture: 'graceful.js', replicas: 2 }, tick: { fixture: 'ticker.js', portless: true } }));
    await up.waitForOutput('all 3 ready');
    expect(up.output()).toMatch(/^api-1 +\| /m);
    await up.waitForOutput(/^tick-1 +\| tick 1$/m);

    const runFile = path.join(dir, '.switchyard', 'run.json');
    expect(statSync(runFile).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(runFile)).mode & 0o777).toBe(0o700);

    const before = await psJson(dir);
    expect(before.map((p) => [p.name, p.state])).toEqual([
      ['api-1', 'ready'],
      ['api-2', 'ready'],
      ['tick-1', 'ready'],
    ]);
    const table = await runCli(['ps'], dir);
    expect(table.stdout).toMatch(/^NAME +STATE +HEALTH +PID +PORT/m);
    expect(table.stdout).toMatch(/^api-2 +ready +passing +\d+ +\d+ +0 /m);

    const logs = await runCli(['logs', 'tick', '-n', '3'], dir);
    expect(logs.exitCode).toBe(0);
    const tickLines = String(logs.stdout).trim().split('\n');
    expect(tickLines).toHaveLength(3);
    for (const line of tickLines) expect(line).toMatch(/^tick-1 +\| tick \d+$/);

    const restarted = await runCli(['restart', 'api-2'], dir);
    expect(restarted.stdout).toBe('restarted api-2');
    const after = await psJson(dir);
    const pid = (ps: ProcessInfo[], name: string) => ps.find((p) => p.name === name)?.pid;
    expect(pid(after, 'api-2')).not.toBe(pid(before, 'api-2'));
    expect(pid(after, 'api-1')).toBe(pid(before, 'api-1'));
    // A restart a person asked for is counted apart from those after a crash (issue 14).
    expect(after.find((p) => p.name === 'api-2')).toMatchObject({ restarts: 0, manualRestarts: 1 });

    expect((await runCli(['scale', 'api', '4'], dir)).stdout).toBe('api: 4 workers (api-1, api-2, api-3, api-4)');
    await waitFor(async () => (await psJson(dir)).filter((p) => p.app === 'api' && p.state === 'ready').length === 4, '4 ready api workers');
    expect((await runCli(['scale', 'api', '1'], dir)).stdout).toBe('api: 1 worker (api-1)');
    expect((await psJson(dir)).map((p) => p.name)).toEqual(['api-1', 'tick-1']);

    const unknown = await runCli(['restart', 'nope'], dir);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/no app or process named 'nope'; known: api, tick/);

    const down = await runCli(['down'], dir);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toBe('stopped');
    const exit = await up.child;
    expect(exit.exitCode).toBe(0);
    expect(existsSync(runFile)).toBe(false);
    expect(up.output()).toMatch(/api-1 +\| draining/);
    expect(up.output()).toMatch(/switchyard \| stopped/);
  });

  it('refuses a second up of the same stack and a request without the token', async () => {
    // A fixed proxy port: the second up must say the stack runs, not that the port is taken.
    const proxy = `proxy:\n  listen: ${await getPort({ host: '127.0.0.1' })}\n  routes:\n    - { path: /, to: api }\n`;
    const { up, dir } = upIn(`${yamlFor({ api: { fixture: 'graceful.js' } })}${proxy}`);
    await up.waitForOutput('all 2 ready');
    const second = await runCli(['up'], dir);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/is already running \(pid \d+\); stop it with `switchyard down`/);

    const run = JSON.parse(readFileSync(path.join(dir, '.switchyard', 'run.json'), 'utf8')) as { port: number; token: string };
    const call = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${run.port}/v1/call`, { method: 'POST', headers, body: JSON.stringify({ method: 'listProcesses', args: [] }) });
    expect((await call({})).status).toBe(401);
    expect((await call({ authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call({ authorization: `Bearer ${run.token}` })).status).toBe(200);
    expect((await call({ authorization: `Bearer ${run.token}`, origin: 'http://evil.example' })).status).toBe(403);
  });

  it('stops gracefully on SIGTERM and exits 0', async () => {
    const { up } = upIn(yamlFor({ api: { fixture: 'graceful.js', replicas: 2 } }));
    await up.waitForOutput('all 2 ready');
    up.child.kill('SIGTERM');
    const exit = await up.child;
    expect(exit.exitCode).toBe(0);
    expect(up.output()).toMatch(/SIGTERM: stopping gracefully/);
    expect(up.output().match(/\| bye$/gm)).toHaveLength(2);
  });

  it('a second Ctrl-C kills a worker that ignores SIGTERM without waiting for its timeout', async () => {
    const marker = newMarker();
    const { up } = upIn(
      // A stop timeout far beyond the test's own: only the kill can end the stop in time.
      yamlFor({ stubborn: { fixture: 'ignore-sigterm.js', extra: '    stop: { timeout: 300s }' } }).replace('    stop: { timeout: 2s }\n', ''),
      { [marker.key]: marker.value },
    );
    await up.waitForOutput('all 1 ready');
    up.child.kill('SIGINT');
    await up.waitForOutput('Ctrl-C: stopping gracefully');
    up.child.kill('SIGINT');
    const exit = await up.child;
    expect(exit.exitCode).toBe(130);
    await waitFor(() => processesWithMarker(marker).length === 0, 'the stubborn worker to be gone');
  });

  it('leaves no process behind when the orchestrator itself is SIGKILLed', async () => {
    const marker = newMarker();
    const { up, dir } = upIn(
      yamlFor({
        api: { fixture: 'graceful.js', replicas: 2 },
        family: { fixture: 'grandchild.js', extra: '    env: { GRANDCHILD_DETACHED: "1" }' },
        stubborn: { fixture: 'ignore-sigterm.js' },
      }),
      { [marker.key]: marker.value },
    );
    await up.waitForOutput('all 4 ready');
    const ours = processesWithMarker(marker);
    // up itself, the watchdog, 4 workers and the detached grandchild.
    expect(ours.length).toBeGreaterThanOrEqual(7);
    up.child.kill('SIGKILL');
    await up.child;
    // The watchdog reaps every tree it knows (SIGTERM, a grace period, SIGKILL), then exits itself.
    // A process on its way out loses its environment (the marker) a moment before it is gone: both are awaited.
    await waitFor(() => processesWithMarker(marker).length === 0 && ours.every((pid) => !alive(pid)), 'the watchdog to leave no process behind', { timeout: 20_000 }).catch((error: Error) => {
      throw new Error(`${error.message}: ${describeProcesses(processesWithMarker(marker)).join('; ')}; alive: ${ours.filter(alive).join(', ')}`, { cause: error });
    });
    // The watchdog also removed the dead instance's run file.
    expect(existsSync(path.join(dir, '.switchyard', 'run.json'))).toBe(false);
  });

  it('exits 2 without starting anything when the stack file is invalid', async () => {
    const { dir, cleanup } = stackDir('apps:\n  api:\n    command: [definitely-not-a-program-xyz]\n');
    cleanups.push(cleanup);
    const result = await runCli(['up'], dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/switchyard\.yaml:3:14: error: command 'definitely-not-a-program-xyz' not found on PATH/);
  });

  it('exits 1 and names the fix when the run file cannot be written, leaving nothing running', async () => {
    const { dir, cleanup } = stackDir(yamlFor({ api: { fixture: 'graceful.js' } }));
    cleanups.push(cleanup);
    writeFileSync(path.join(dir, '.switchyard'), 'a file where the run folder goes\n');
    const marker = newMarker();
    const result = await runCli(['up'], dir, { [marker.key]: marker.value });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`could not write the run file ${path.join(dir, '.switchyard', 'run.json')}: EEXIST`);
    expect(result.stderr).toContain(`so make ${path.join(dir, '.switchyard')} a folder this user can write to`);
    // The watchdog it had started is told goodbye and goes.
    await waitFor(() => processesWithMarker(marker).length === 0, 'no process of it left');
  });

  it('shows the control characters a worker prints escaped in up and in logs, keeping its colours', async () => {
    const { up, dir } = upIn(yamlFor({ noisy: { fixture: 'controls.js', portless: true } }));
    const shown = 'title\\x1b]0;pwned\\x07 up\\x1b[2A cr\\rback \x1b[31mred\x1b[0m end';
    await up.waitForOutput('red\x1b[0m end\n');
    expect(up.output()).toContain(`| ${shown}\n`);
    const logs = await runCli(['logs', 'noisy'], dir);
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toContain(`| ${shown}`);
    for (const raw of ['\x07', '\r']) expect(`${up.output()}${String(logs.stdout)}`).not.toContain(raw);
    await runCli(['down'], dir);
    expect((await up.child).exitCode).toBe(0);
  });

  it('leaves no temp file behind when the run file cannot be put in place', async () => {
    const { dir, cleanup } = stackDir(yamlFor({ api: { fixture: 'graceful.js' } }));
    cleanups.push(cleanup);
    // A folder where run.json goes: writing the temp file works, renaming it over the folder fails.
    mkdirSync(path.join(dir, '.switchyard', 'run.json', 'in-the-way'), { recursive: true });
    const marker = newMarker();
    const result = await runCli(['up'], dir, { [marker.key]: marker.value });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`could not write the run file ${path.join(dir, '.switchyard', 'run.json')}: EISDIR`);
    expect(readdirSync(path.join(dir, '.switchyard'))).toEqual(['run.json']);
    await waitFor(() => processesWithMarker(marker).length === 0, 'no process of it left', { timeout: 5_000 });
  });

  it('tells how to start the stack when ps finds nothing running', async () => {
    const { dir, cleanup } = stackDir(yamlFor({ api: { fixture: 'graceful.js' } }));
    cleanups.push(cleanup);
    const result = await runCli(['ps'], dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/no running stack for .*switchyard\.yaml; start it with `switchyard up`/);
  });
});

describe('switchyard up with a proxy', () => {
  it('serves through the proxy, reloads an app, shows access lines in `logs proxy`, and applies a saved stack file', { timeout: MANY_CLI_CALLS_MS }, async () => {
    const { default: getPort } = await import('get-port');
    const port = await getPort({ host: '127.0.0.1' });
    const yaml = (extra: string) =>
      [
        'name: proxied',
        'proxy:',
        `  listen: ${port}`,
        '  routes:',
        '    - path: /',
        '      to: api',
        extra,
        yamlFor({ api: { fixture: 'http-worker.js', replicas: 2 } }).replace('name: clitest\n', ''),
      ].join('\n');
    const { up, dir } = upIn(yaml(''));
    await up.waitForOutput(`proxy    http://127.0.0.1:${port}`);
    await up.waitForOutput('all 3 ready');
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/hello`)).status === 200, 'the proxy to route');

    const before = (await psJson(dir)).filter((p) => p.app === 'api').map((p) => p.pid);
    const reload = await runCli(['reload', 'api'], dir);
    expect(reload.exitCode, String(reload.stderr)).toBe(0);
    expect(reload.stdout).toMatch(/^reloaded api-1, api-2 in \d+\.\ds$/m);
    const after = (await psJson(dir)).filter((p) => p.app === 'api' && p.state === 'ready').map((p) => p.pid);
    expect(after).toHaveLength(2);
    expect(after.some((pid) => before.includes(pid))).toBe(false);

    await fetch(`http://127.0.0.1:${port}/seen-in-the-access-log`);
    await waitFor(async () => String((await runCli(['logs', 'proxy'], dir)).stdout).includes('GET /seen-in-the-access-log'), 'the access line');
    const logs = String((await runCli(['logs', 'proxy'], dir)).stdout);
    expect(logs).toMatch(/200 GET \/seen-in-the-access-log .*→ api-\d/);

    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'switchyard.yaml'), yaml('    - path: /bad/\n      to: missing-app'));
    await up.waitForOutput(/switchyard\.yaml changed but was not applied:[\s\S]*missing-app/);
    expect((await fetch(`http://127.0.0.1:${port}/hello`)).status).toBe(200);

    const down = await runCli(['down'], dir);
    expect(down.exitCode, String(down.stderr)).toBe(0);
  });
});
