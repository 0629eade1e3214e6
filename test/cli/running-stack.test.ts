// The commands that read a running stack, each the way a person types it: logs in every form,
// check while the stack runs, ps's counters and failures, and what `up` prints with and without --access.
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import getPort from 'get-port';
import type { ProcessInfo } from '../../shared/process.ts';
import { describeFailures } from '../../main/cli/commands/ps.ts';
import { runCli, psJson, stackDir, startUp } from '../helpers/cli.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const node = JSON.stringify(process.execPath);
const MANY_CLI_CALLS_MS = 120_000;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function stackYaml(port: number): string {
  return [
    'name: running',
    'proxy:',
    `  listen: ${port}`,
    '  routes: [{ path: /, to: api }]',
    'apps:',
    '  api:',
    `    command: [${node}, ${JSON.stringify(path.join(FIXTURES, 'http-worker.js'))}]`,
    '    replicas: 2',
    '    health: { path: /healthz, interval: 200ms, timeout: 2s }',
    '    stop: { timeout: 2s }',
    '  quiet:',
    // Fails at once having written only blank lines to stderr.
    `    command: [${node}, -e, "process.stderr.write('\\\\n  \\\\n'); process.exit(3)"]`,
    '    port_env: none',
    '    max_restarts: 0',
    '',
  ].join('\n');
}

async function upStack(args: string[] = []) {
  const port = await getPort({ host: '127.0.0.1' });
  const { dir, cleanup } = stackDir(stackYaml(port));
  const up = startUp(dir, args);
  cleanups.push(cleanup, async () => {
    up.child.kill('SIGKILL');
    await up.child;
  });
  await up.waitForOutput('proxy      | ready');
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200, 'the proxy to route');
  return { up, dir, port };
}

describe('a running stack', () => {
  it('answers logs in every form, check, and ps; up prints no proxied request without --access', { timeout: MANY_CLI_CALLS_MS }, async () => {
    const { up, dir, port } = await upStack();
    await fetch(`http://127.0.0.1:${port}/not-in-up`);
    await waitFor(async () => String((await runCli(['logs', 'proxy'], dir)).stdout).includes('GET /not-in-up'), 'the access line in logs proxy');

    const all = await runCli(['logs'], dir);
    expect(all.exitCode, String(all.stderr)).toBe(0);
    expect(all.stdout).toMatch(/^api-1 +\| listening on/m);
    expect(all.stdout).toMatch(/^proxy +\| 200 GET \/not-in-up/m);

    const three = await runCli(['logs', '-n', '3'], dir);
    expect(three.exitCode, String(three.stderr)).toBe(0);
    expect(String(three.stdout).trim().split('\n')).toHaveLength(3);

    const threeOfApi = await runCli(['logs', '-n', '3', 'api'], dir);
    expect(threeOfApi.exitCode, String(threeOfApi.stderr)).toBe(0);
    const apiLines = String(threeOfApi.stdout).trim().split('\n');
    expect(apiLines).toHaveLength(3);
    for (const line of apiLines) expect(line).toMatch(/^api-\d +\| /);

    const follow = startFollow(dir);
    await follow.waitFor('GET /not-in-up');
    await fetch(`http://127.0.0.1:${port}/while-following`);
    await follow.waitFor('GET /while-following');
    follow.child.kill('SIGINT');
    expect((await follow.child).exitCode).toBe(0);

    const tooMany = await runCli(['logs', 'api', 'extra'], dir);
    expect(tooMany.exitCode).toBe(2);
    expect(tooMany.stderr).toContain("unexpected argument 'extra'; usage: switchyard logs [NAME] [-f] [-n N]");

    // The stack's own proxy holds its port: check says it runs, and that is no error.
    const checked = await runCli(['check'], dir);
    expect(checked.exitCode, String(checked.stderr)).toBe(0);
    expect(checked.stderr).not.toContain('in use');
    expect(checked.stdout).toMatch(new RegExp(`Running now: \`switchyard up\` pid ${up.child.pid}, since .*; its proxy holds port ${port}, so that port is taken by this stack itself`));

    // A restart a person asks for is counted apart; a failure that wrote only blank lines gets no heading.
    await waitFor(async () => (await psJson(dir)).some((p) => p.app === 'quiet' && p.state === 'failed'), 'quiet to fail');
    expect((await runCli(['restart', 'api-1'], dir)).exitCode).toBe(0);
    const table = String((await runCli(['ps'], dir)).stdout);
    expect(table).toMatch(/^api-1 +ready +passing +\d+ +\d+ +0 \(\+1 manual\) /m);
    expect(table).toMatch(/^api-2 +ready +passing +\d+ +\d+ +0 /m);
    expect(table).not.toContain('its last stderr lines');

    expect((await runCli(['down'], dir)).exitCode).toBe(0);
    expect((await up.child).exitCode).toBe(0);
    expect(up.output()).not.toContain('GET /not-in-up');
    expect(up.output()).not.toContain('GET /while-following');
    expect(up.output()).toContain('requests through the proxy are not printed here: `switchyard logs proxy -f` shows them, or run `up --access`');
    expect(up.output()).toMatch(/^proxy +\| listening on/m);
  });

  it('prints proxied requests in the terminal of up --access', { timeout: MANY_CLI_CALLS_MS }, async () => {
    const { up, dir, port } = await upStack(['--access']);
    await fetch(`http://127.0.0.1:${port}/shown-in-up`);
    await up.waitForOutput(/^proxy +\| 200 GET \/shown-in-up .*→ api-\d/m);
    expect(up.output()).not.toContain('requests through the proxy are not printed here');
    await runCli(['down'], dir);
    expect((await up.child).exitCode).toBe(0);
  });
});

function startFollow(dir: string) {
  const child = runCli(['logs', '-f'], dir);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { child, waitFor: (wanted: string) => waitFor(() => text.includes(wanted), `logs -f to print ${wanted}`) };
}

describe('what ps and up show of lines', () => {
  const failed = (lastStderr: string[]): ProcessInfo =>
    ({ name: 'api-1', state: 'failed', lastStderr }) as ProcessInfo;

  it('lists the last stderr lines of a failed process, and says nothing of one that wrote none', () => {
    expect(describeFailures([failed(['', 'Error: no module named main', '  '])])).toBe('\napi-1 failed; its last stderr lines:\n  Error: no module named main\n');
    expect(describeFailures([failed([]), failed(['', ' '])])).toBe('');
  });
});
