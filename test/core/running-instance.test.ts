// Whether a stack already runs elsewhere, as `up`, `check` and the desktop app ask before they start
// one: a run file names a pid and a control port; the instance must live and answer there.

import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunFile } from '../../shared/api.ts';
import { writeRunFile } from '../../main/core/host/run-file.ts';
import { findRunningInstance } from '../../main/core/host/running-instance.ts';
import { refusedPort } from '../proxy/helpers.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A live process that is not this one, as the pid of another `switchyard up`. */
function otherProcess(): number {
  const child = execa(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { reject: false });
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await child;
  });
  return child.pid!;
}

/** A control API stand-in that answers `status` after `delayMs`, as a busy instance does. */
async function controlApi(delayMs: number): Promise<number> {
  const server = http.createServer((req, res) => {
    req.resume();
    const timer = setTimeout(() => res.end(JSON.stringify({ ok: true, result: { name: 'busy' } })), delayMs);
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

function runFileFor(run: Omit<RunFile, 'token' | 'startedAt' | 'stackFile'>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-running-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, '.switchyard', 'run.json');
  writeRunFile(file, { ...run, token: 'secret', stackFile: path.join(dir, 'switchyard.yaml'), startedAt: Date.now() });
  return file;
}

describe('findRunningInstance', () => {
  it('finds an instance that answers slowly, as a busy machine makes it', async () => {
    const file = runFileFor({ pid: otherProcess(), port: await controlApi(1500) });
    expect(await findRunningInstance(file)).toMatchObject({ port: expect.any(Number), token: 'secret' });
  });

  it('takes a live pid whose port refuses connections for someone else (a pid used again)', async () => {
    const file = runFileFor({ pid: otherProcess(), port: await refusedPort() });
    expect(await findRunningInstance(file)).toBeNull();
  });

  it('ignores a run file whose pid has ended, or that is its own', async () => {
    const ended = execa(process.execPath, ['-e', '']);
    const pid = ended.pid!;
    await ended;
    expect(await findRunningInstance(runFileFor({ pid, port: await controlApi(0) }))).toBeNull();
    expect(await findRunningInstance(runFileFor({ pid: process.pid, port: await controlApi(0) }))).toBeNull();
  });
});
