// Diagnostics of a real Stack: the PATH its workers get, which of its folders exist, and where each
// app's program resolves on it (or that it does not: the desktop app's classic failure).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ControlHub } from '../../main/core/control/control-api.ts';
import { ControlClient } from '../../main/core/control/control-client.ts';
import { ControlServer } from '../../main/core/control/control-server.ts';
import { Stack } from '../../main/core/stack.ts';
import { fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor, waitForState } from '../helpers/wait.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'switchyard-diagnostics-'));
const nodeDir = path.dirname(process.execPath);
const missingDir = path.join(tmp, 'not-there');
const givenPath = [nodeDir, missingDir].join(path.delimiter);
const origin = { path: givenPath, source: 'login-shell' as const, shell: '/bin/zsh', durationMs: 84, problem: null };
const startedAt = Date.now();
let stack: Stack;
let hub: ControlHub;
const hubs: ControlHub[] = [];

beforeAll(async () => {
  // A program written as a path, like ./venv/bin/python, resolves from the app's cwd.
  mkdirSync(path.join(tmp, 'venv', 'bin'), { recursive: true });
  writeFileSync(path.join(tmp, 'venv', 'bin', 'tool'), '#!/bin/sh\n');
  chmodSync(path.join(tmp, 'venv', 'bin', 'tool'), 0o755);
  stack = new Stack(
    fixtureStack([
      fixtureApp('api', 'env-dump.js', { env: { DUMP: 'PATH' } }),
      fixtureApp('web', 'env-dump.js', { argv: ['node', 'server.js'], replicas: 0 }),
      fixtureApp('ghost', 'env-dump.js', { argv: ['switchyard-no-such-program', '--serve'], replicas: 0 }),
      fixtureApp('venv', 'env-dump.js', { argv: ['./venv/bin/tool'], cwd: tmp, replicas: 0 }),
      fixtureApp('own-path', 'env-dump.js', { argv: ['node'], env: { PATH: missingDir }, replicas: 0 }),
    ]),
    { baseEnv: { ...process.env, PATH: givenPath } },
  );
  hub = new ControlHub(stack, { startedAt, onShutdown: () => {}, environment: { host: 'desktop', path: origin } });
  hubs.push(hub);
  await stack.start();
  await waitForState(stack, 'api-1', 'ready');
});

afterAll(async () => {
  for (const each of hubs) each.dispose();
  await stack?.kill();
  rmSync(tmp, { recursive: true, force: true });
});

describe('diagnostics', () => {
  it('reports the PATH the workers get, with how it was found', async () => {
    const diagnostics = await hub.api.diagnostics();
    expect(diagnostics.path).toEqual({ value: givenPath, entries: expect.any(Array), source: 'login-shell', shell: '/bin/zsh', durationMs: 84, problem: null });
    const printed = await waitFor(() => stack.logs.query({ sources: null, tail: 50 }).find((line) => line.text.startsWith('ENV PATH=')), 'api-1 to print its PATH');
    expect(printed.text).toBe(`ENV PATH=${diagnostics.path.value}`);
  });

  it('lists the PATH entries in order, marking the folder that does not exist', async () => {
    const { path: reported } = await hub.api.diagnostics();
    expect(reported.entries).toEqual([
      { dir: nodeDir, exists: true },
      { dir: missingDir, exists: false },
    ]);
  });

  it('resolves each app\'s program on that PATH, from its cwd, or says it is not found', async () => {
    const { commands } = await hub.api.diagnostics();
    expect(commands).toEqual([
      { app: 'api', command: process.execPath, resolved: process.execPath },
      { app: 'web', command: 'node', resolved: path.join(nodeDir, path.basename(process.execPath)) },
      { app: 'ghost', command: 'switchyard-no-such-program', resolved: null },
      { app: 'venv', command: './venv/bin/tool', resolved: path.join(tmp, 'venv', 'bin', 'tool') },
      // Its own env sets a PATH without node on it.
      { app: 'own-path', command: 'node', resolved: null },
    ]);
  });

  it('names the host, the runtime and the stack', async () => {
    const diagnostics = await hub.api.diagnostics();
    expect(diagnostics.runtime).toEqual({
      host: 'desktop',
      node: process.versions.node,
      electron: null,
      platform: process.platform,
      arch: process.arch,
      pid: process.pid,
      startedAt,
    });
    expect(diagnostics.stack).toEqual({ name: 'test', file: stack.spec.file });
    expect(() => structuredClone(diagnostics)).not.toThrow();
    expect(JSON.parse(JSON.stringify(diagnostics))).toEqual(diagnostics);
  });

  it('reports a terminal host and the PATH the stack was given when the host says nothing', async () => {
    const plain = new ControlHub(stack, { startedAt, onShutdown: () => {} });
    hubs.push(plain);
    const diagnostics = await plain.api.diagnostics();
    expect(diagnostics.runtime.host).toBe('cli');
    // The PATH the processes really get (the stack's base environment), not this process's own.
    expect(process.env.PATH).not.toBe(givenPath);
    expect(diagnostics.path).toMatchObject({ value: givenPath, source: 'inherited', shell: null, durationMs: 0, problem: null });
  });

  it('answers over HTTP, as the CLI asks', async () => {
    const token = randomBytes(24).toString('hex');
    const server = await ControlServer.listen({ api: hub.api, logs: stack.logs, logSources: (name) => stack.logSources(name), token });
    try {
      const diagnostics = await new ControlClient({ port: server.port, token }).diagnostics();
      expect(diagnostics.path.value).toBe(givenPath);
      expect(diagnostics.commands.find((command) => command.app === 'ghost')?.resolved).toBeNull();
    } finally {
      await server.close();
    }
  });
});
