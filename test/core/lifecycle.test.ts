// A worker's life across changes (issue 14): a fix reaches a worker that is crashed, backing off or
// failed; a reload whose new worker does not become ready fails and leaves the old one serving; a
// stop reaches a master first; a reload signal is the server's own reload; workers get unbuffered
// Python output by default.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProcessInfo } from '../../shared/process.ts';
import type { AppSpec } from '../../shared/stack.ts';
import { SwitchyardError } from '../../main/core/errors.ts';
import { LogStore } from '../../main/core/logs/log-store.ts';
import { PortAllocator } from '../../main/core/process/port-allocator.ts';
import { execaSpawner } from '../../main/core/process/spawner.ts';
import { Supervisor } from '../../main/core/process/supervisor.ts';
import { Stack } from '../../main/core/stack.ts';
import { alive, commandLine, newMarker, processesWithMarker } from '../helpers/processes.ts';
import { FIXTURES, fixtureApp, fixtureProcess, fixtureStack } from '../helpers/specs.ts';
import { waitFor, waitForState } from '../helpers/wait.ts';

const stacks: Stack[] = [];
const supervisors: Supervisor[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all([...stacks.splice(0).map((stack) => stack.kill()), ...supervisors.splice(0).map((supervisor) => supervisor.kill())]);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function startStack(apps: AppSpec[], options: { watch?: boolean } = {}): Promise<Stack> {
  const stack = new Stack(fixtureStack(apps), options);
  stacks.push(stack);
  await stack.start();
  return stack;
}

function info(stack: Stack, name: string): ProcessInfo {
  const found = stack.processes().find((p) => p.name === name);
  if (!found) throw new Error(`no process ${name}: ${stack.processes().map((p) => p.name).join(', ')}`);
  return found;
}

function lines(stack: Stack, source: string): string[] {
  return stack.logs.query({ sources: new Set([source]) }).map((line) => line.text);
}

/** A folder with `app.js`, a worker a test rewrites to break it, as a person edits their code. */
function appFolder(code: string): { dir: string; write: (code: string) => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-life-'));
  dirs.push(dir);
  const write = (text: string) => writeFileSync(path.join(dir, 'app.js'), text);
  write(code);
  return { dir, write };
}

const SERVES = `import { serve } from ${JSON.stringify(path.join(FIXTURES, 'lib', 'serve.js'))};\nserve();\n`;
const CRASHES = `console.error('cannot load settings.py: no such setting DEBUG');\nprocess.exitCode = 3;\n`;
const FAILS_HEALTH = `import http from 'node:http';\nhttp.createServer((req, res) => { res.statusCode = 500; res.end('broken'); }).listen(Number(process.env.PORT));\nconsole.error('health is broken on purpose');\n`;

/** A server that reloads on SIGHUP, closed for a while as one re-reading its code would be: a check in that time fails. */
const RELOADS_ON_HUP = [
  "import http from 'node:http';",
  'const server = http.createServer((req, res) => res.end(String(process.pid)));',
  'const listen = () => server.listen(Number(process.env.PORT), () => console.log(`serving ${generation}`));',
  'let generation = 1;',
  "process.on('SIGHUP', () => {",
  "  console.log('reloading');",
  '  server.close();',
  '  server.closeAllConnections();',
  '  setTimeout(() => { generation++; listen(); }, 400);',
  '});',
  'listen();',
].join('\n');

const nodeApp = (dir: string, overrides: Partial<AppSpec> = {}) => fixtureApp('api', 'unused.js', { argv: [process.execPath, path.join(dir, 'app.js')], cwd: dir, ...overrides });

describe('a fix reaches a worker that is not running', () => {
  it.each([
    ['failed after its crash loop', { maxRestarts: 3 }, 'failed'],
    ['backing off', { backoff: { initial: 600_000, max: 600_000 } }, 'backoff'],
    ['crashed, with restart: never', { restart: 'never' as const }, 'crashed'],
  ])('an app %s starts again at once with its new command', async (_label, overrides: Partial<AppSpec>, state) => {
    const broken = fixtureApp('api', 'crash-now.js', overrides);
    const stack = await startStack([broken]);
    await waitForState(stack, 'api-1', state);
    const restartsBefore = info(stack, 'api-1').restarts;

    const fixed = { ...broken, argv: [process.execPath, path.join(FIXTURES, 'http-worker.js')] };
    const changes = await stack.applySpec(fixtureStack([fixed]));
    expect(changes).toEqual(['reloaded api with its new settings']);
    const now = info(stack, 'api-1');
    expect(now.state).toBe('ready');
    expect(commandLine(now.pid as number)).toContain('http-worker.js');
    // One start with the fix, a restart the change asked for rather than a crash, and no more with the old command.
    expect(now.restarts).toBe(restartsBefore);
    expect(now.manualRestarts).toBe(1);
    expect(lines(stack, 'api-1').filter((line) => line === 'booting')).toHaveLength(restartsBefore + 1);
  });

  it('a restart after backoff, and a restart by a person, run the settings adopted meanwhile', async () => {
    const logs = new LogStore(1000);
    const spec = fixtureProcess('crash-now.js', { backoff: { initial: 1500, max: 1500 }, maxRestarts: 1 });
    const supervisor = new Supervisor(spec, { spawner: execaSpawner, logs, ports: new PortAllocator() });
    supervisors.push(supervisor);
    await supervisor.start();
    await waitForState(supervisor, 'crash-now-1', 'backoff');
    supervisor.adopt({ ...spec, argv: [process.execPath, path.join(FIXTURES, 'http-worker.js')] });
    await waitForState(supervisor, 'crash-now-1', 'ready');
    expect(commandLine(supervisor.currentPid as number)).toContain('http-worker.js');

    await supervisor.stop();
    supervisor.adopt({ ...spec, argv: [process.execPath, path.join(FIXTURES, 'env-dump.js')] });
    await supervisor.restart();
    await waitForState(supervisor, 'crash-now-1', 'ready');
    expect(commandLine(supervisor.currentPid as number)).toContain('env-dump.js');
  });
});

describe('a reload whose new worker does not become ready', () => {
  async function brokenReload(stack: Stack): Promise<SwitchyardError> {
    const error = await stack.reload('api').then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SwitchyardError);
    return error as SwitchyardError;
  }

  it('fails naming the worker and its last stderr lines when the replacement crashes; the old worker keeps serving', async () => {
    const app = appFolder(SERVES);
    const stack = await startStack([nodeApp(app.dir)]);
    await waitForState(stack, 'api-1', 'ready');
    const old = info(stack, 'api-1');
    app.write(CRASHES);

    const error = await brokenReload(stack);
    expect(error.message).toMatch(/^reload of api stopped at api-1: its replacement crashed \(exit code 3\); the old worker keeps serving\./);
    expect(error.message).toContain("api-1's last stderr lines:\n  cannot load settings.py: no such setting DEBUG");
    expect(error.message).toContain('See `switchyard logs api-1`.');
    // The old worker holds its name, in rotation, with the same pid; the replacement is gone.
    expect(stack.processes()).toEqual([expect.objectContaining({ id: old.id, name: 'api-1', role: 'member', state: 'ready', pid: old.pid })]);
    expect(stack.members('api')).toEqual([expect.objectContaining({ name: 'api-1', state: 'ready', port: old.port })]);
  });

  it('fails when the replacement never passes its health check, within restart_after × (interval + timeout)', async () => {
    const app = appFolder(SERVES);
    // 20 × (100 ms + 200 ms): long enough for Node to start and say why on a busy machine.
    const health = { path: '/healthz', interval: 100, startInterval: 20, timeout: 200, healthyAfter: 1, unhealthyAfter: 2, restartAfter: 20 };
    const stack = await startStack([nodeApp(app.dir, { health })]);
    await waitForState(stack, 'api-1', 'ready');
    const old = info(stack, 'api-1');
    app.write(FAILS_HEALTH);

    const error = await brokenReload(stack);
    expect(error.message).toMatch(/^reload of api stopped at api-1: its replacement did not pass a health check within 6s; the old worker keeps serving\./);
    expect(error.message).toContain('  health is broken on purpose');
    expect(stack.processes()).toEqual([expect.objectContaining({ id: old.id, state: 'ready', pid: old.pid })]);
  });

  it('fails when a worker that was not serving is started again and crashes', async () => {
    const app = appFolder(CRASHES);
    const stack = await startStack([nodeApp(app.dir, { restart: 'never' })]);
    await waitForState(stack, 'api-1', 'crashed');

    const error = await brokenReload(stack);
    expect(error.message).toMatch(/^reload of api stopped at api-1: it was not serving, so it was started again with the current settings, and crashed \(exit code 3\)\./);
    expect(error.message).toContain('  cannot load settings.py: no such setting DEBUG');
  });

  it('stops a stack file change at the broken worker and says so, keeping the change for the next save', async () => {
    const app = appFolder(SERVES);
    const good = nodeApp(app.dir, { replicas: 2 });
    const stack = await startStack([good]);
    await waitForState(stack, 'api-1', 'ready');
    await waitForState(stack, 'api-2', 'ready');
    const pids = [info(stack, 'api-1').pid, info(stack, 'api-2').pid];

    const broken = { ...good, argv: [process.execPath, path.join(FIXTURES, 'crash-now.js')] };
    const [change] = await stack.applySpec(fixtureStack([broken]));
    expect(change).toMatch(/^reload of api stopped at api-1: its replacement crashed \(exit code 3\); the old worker keeps serving\./);
    expect([info(stack, 'api-1').pid, info(stack, 'api-2').pid]).toEqual(pids);

    // Saving the good command again is a change from the broken one, so it is applied.
    expect(await stack.applySpec(fixtureStack([good]))).toEqual(['reloaded api with its new settings']);
    expect([info(stack, 'api-1').pid, info(stack, 'api-2').pid]).not.toContain(pids[0]);
  });
});

describe('stopping a master', () => {
  it('signals its main process only; its children hear of the stop from it', async () => {
    const app = appFolder('');
    const stopFile = path.join(app.dir, 'stopping');
    const marker = newMarker();
    const stack = await startStack([fixtureApp('master', 'master.js', { env: { STOP_FILE: stopFile, [marker.key]: marker.value } })]);
    await waitForState(stack, 'master-1', 'ready');
    await waitFor(() => lines(stack, 'master-1').filter((line) => / running$/.test(line)).length === 2, 'both children running');

    await stack.stop();
    const said = lines(stack, 'master-1');
    expect(said).toContain('master got SIGTERM');
    expect(said.filter((line) => line.endsWith('stopped by its master'))).toHaveLength(2);
    expect(said.filter((line) => line.includes('before its master'))).toEqual([]);
    expect(info(stack, 'master-1').lastExit?.code).toBe(0);
    expect(processesWithMarker(marker)).toEqual([]);
  });

  it('kills the whole tree when its children ignore everything and the master waits for them', async () => {
    const app = appFolder('');
    const marker = newMarker();
    const stack = await startStack([
      fixtureApp('master', 'master.js', { stop: { signal: 'SIGTERM', timeout: 800 }, env: { STOP_FILE: path.join(app.dir, 'stopping'), CHILD_IGNORES: '1', [marker.key]: marker.value } }),
    ]);
    await waitForState(stack, 'master-1', 'ready');
    // Running means their handlers are set: a child killed before that would not show what is tested.
    await waitFor(() => lines(stack, 'master-1').filter((line) => / running$/.test(line)).length === 2, 'both children running');
    const pids = processesWithMarker(marker);
    expect(pids).toHaveLength(3);

    await stack.stop();
    expect(lines(stack, 'master-1')).toEqual(expect.arrayContaining(['did not stop within 800ms; killing its process tree']));
    expect(lines(stack, 'master-1').filter((line) => line.endsWith('ignores SIGTERM'))).toHaveLength(2);
    expect(pids.filter(alive)).toEqual([]);
    expect(processesWithMarker(marker)).toEqual([]);
  });
});

describe('reload by signal', () => {
  // No steady check comes during a test, only those a reload signal hurries; the first of them comes
  // 300 ms after the signal, time enough for the server to have closed (RELOADS_ON_HUP).
  const SLOW_STEADY_CHECKS = { path: '/healthz', interval: 60_000, startInterval: 300, timeout: 2000, healthyAfter: 1, unhealthyAfter: 5, restartAfter: 10 };

  it('sends the signal to the main process, and completes once a check begun after it passes', async () => {
    const app = appFolder(RELOADS_ON_HUP);
    const stack = await startStack([nodeApp(app.dir, { reload: { signal: 'SIGHUP' }, health: SLOW_STEADY_CHECKS })]);
    await waitForState(stack, 'api-1', 'ready');
    const pid = info(stack, 'api-1').pid;

    expect(await stack.reload('api')).toEqual(['api-1']);
    // The same process, serving again: the pass came after the server re-opened, not from before the signal.
    expect(info(stack, 'api-1')).toMatchObject({ pid, state: 'ready' });
    expect(lines(stack, 'api-1')).toEqual(expect.arrayContaining([`sent SIGHUP to pid ${pid} (reload)`, 'reloading', 'serving 2']));
  });

  it('is how a change to a watched file reloads the app', async () => {
    const app = appFolder(RELOADS_ON_HUP);
    const stack = await startStack([nodeApp(app.dir, { reload: { signal: 'SIGHUP' }, health: SLOW_STEADY_CHECKS, watch: ['*.txt'] })], { watch: true });
    await waitForState(stack, 'api-1', 'ready');
    await stack.watching();
    const pid = info(stack, 'api-1').pid;
    writeFileSync(path.join(app.dir, 'notes.txt'), 'changed');
    await waitFor(() => lines(stack, 'api').includes('reloaded api-1'), 'the watched change to reload api');
    expect(info(stack, 'api-1')).toMatchObject({ pid, state: 'ready' });
    expect(lines(stack, 'api-1')).toEqual(expect.arrayContaining([`sent SIGHUP to pid ${pid} (reload)`, 'serving 2']));
  });

  it('fails naming the worker when the server dies of the signal', async () => {
    const stack = await startStack([fixtureApp('api', 'http-worker.js', { reload: { signal: 'SIGHUP' } })]);
    await waitForState(stack, 'api-1', 'ready');
    await expect(stack.reload('api')).rejects.toThrow(/^reload of api stopped at api-1: after SIGHUP it crashed \(killed by SIGHUP\)\./);
  });

  it('replaces the workers, surge-first, when the stack file changes what they run', async () => {
    const stack = await startStack([fixtureApp('api', 'env-dump.js', { reload: { signal: 'SIGHUP' }, env: { DUMP: 'LEVEL' } })]);
    await waitForState(stack, 'api-1', 'ready');
    const pid = info(stack, 'api-1').pid;
    const next = fixtureApp('api', 'env-dump.js', { reload: { signal: 'SIGHUP' }, env: { DUMP: 'LEVEL', LEVEL: 'debug' } });
    expect(await stack.applySpec(fixtureStack([next]))).toEqual(['reloaded api with its new settings']);
    expect(info(stack, 'api-1').pid).not.toBe(pid);
    expect(lines(stack, 'api-1')).toContain('ENV LEVEL=debug');
  });
});

describe('worker environment', () => {
  it('has PYTHONUNBUFFERED=1 unless the app sets it itself', async () => {
    const stack = await startStack([
      fixtureApp('plain', 'env-dump.js', { env: { DUMP: 'PYTHONUNBUFFERED' } }),
      fixtureApp('own', 'env-dump.js', { env: { DUMP: 'PYTHONUNBUFFERED', PYTHONUNBUFFERED: '' } }),
    ]);
    await waitForState(stack, 'plain-1', 'ready');
    await waitForState(stack, 'own-1', 'ready');
    expect(lines(stack, 'plain-1')).toContain('ENV PYTHONUNBUFFERED=1');
    expect(lines(stack, 'own-1')).toContain('ENV PYTHONUNBUFFERED=');
    expect(readFileSync(`/proc/${info(stack, 'plain-1').pid}/environ`, 'utf8').split('\0')).toContain('PYTHONUNBUFFERED=1');
  });
});
