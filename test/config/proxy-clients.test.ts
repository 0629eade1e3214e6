// The proxy's client settings in the stack file (client_header_timeout, client_body_timeout,
// keepalive_timeout, max_connections): their defaults, their mistakes at their line and column, and
// how `check`'s plan shows them.
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

async function load(...proxyLines: string[]) {
  const file = await stack.write('switchyard.yaml', yaml('proxy:', '  listen: 8080', '  routes: [{ to: api }]', ...proxyLines, 'apps:', '  api: { command: node a.js }'));
  return loadStack(file, { checkPorts: false, checkCommands: false });
}

describe('proxy client settings', () => {
  it('default to nginx’s timeouts and a cap of 1024 connections, which the plan leaves unsaid', async () => {
    const { spec, issues } = await load();
    expect(issues).toEqual([]);
    expect(spec?.proxy).toMatchObject({ clientHeaderTimeout: 60_000, clientBodyTimeout: 60_000, keepaliveTimeout: 75_000, maxConnections: 1024 });
    expect(formatPlan(spec!).split('\n')).toContain('Proxy http://127.0.0.1:8080');
  });

  it('are read as durations and a count, and the plan names the ones that differ from the defaults', async () => {
    const { spec, issues } = await load('  client_header_timeout: 10s', '  keepalive_timeout: 1m30s', '  max_connections: 200');
    expect(issues).toEqual([]);
    expect(spec?.proxy).toMatchObject({ clientHeaderTimeout: 10_000, clientBodyTimeout: 60_000, keepaliveTimeout: 90_000, maxConnections: 200 });
    expect(formatPlan(spec!).split('\n')).toContain('Proxy http://127.0.0.1:8080  client_header_timeout 10s, keepalive_timeout 1m30s, max_connections 200');
  });

  it('point at each invalid value with what would be valid', async () => {
    const { spec, issues } = await load('  client_header_timeout: 0s', '  client_body_timeout: 30', '  keepalive_timeout: 25h', '  max_connections: 0', '  client_timeout: 5s');
    expect(spec).toBeNull();
    expect(issues.map(({ line, col, message }) => ({ line, col, message }))).toEqual([
      { line: 4, col: 26, message: 'client_header_timeout must be longer than 0ms (proxy)' },
      { line: 5, col: 24, message: "client_body_timeout: invalid duration '30': a number needs a unit, like 30s or 30ms; write it like 250ms, 2s or 1m (proxy)" },
      { line: 6, col: 22, message: 'keepalive_timeout must be at most 24h (proxy)' },
      { line: 7, col: 20, message: 'max_connections must be a whole number from 1 to 1000000; got 0 (proxy)' },
      { line: 8, col: 3, message: "unknown key 'client_timeout' in proxy; valid keys: listen, engine, routes, client_header_timeout, client_body_timeout, keepalive_timeout, max_connections" },
    ]);
  });
});
