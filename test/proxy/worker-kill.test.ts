// A worker killed outright under load: requests in flight on it and new ones that pick it before
// anyone has told the proxy must all end up answered by the others.

import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.ts';
import { cleanUpAfterEach, onCleanup, proxyTo } from './helpers.ts';

cleanUpAfterEach();

const WORKER = fileURLToPath(new URL('../fixtures/proxy/worker.js', import.meta.url));

/** Spawns the fixture worker and resolves with its process and port once it listens. */
function spawnWorker(name: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [WORKER], { env: { ...process.env, WORKER_NAME: name, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
  onCleanup(() => void child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const match = /listening on (\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before listening`)));
  });
}

describe('a worker killed under load', () => {
  it('costs no failed request when a worker is SIGKILLed under continuous GET load', async () => {
    const workers = await Promise.all(['api-1', 'api-2', 'api-3'].map(spawnWorker));
    const { port } = await proxyTo(workers.map((w) => w.port));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    onCleanup(() => agent.destroy());

    const served = new Map<string, number>();
    const failures: string[] = [];
    let victimGone = false;
    let servedByVictimAfterKill = 0;
    let answered = 0;
    const get = (path: string) =>
      new Promise<void>((resolve) => {
        // Sent after the victim's exit was seen: no answer to it can come from the victim.
        const sentAfterKill = victimGone;
        const request = http.get({ host: '127.0.0.1', port, path, agent }, (response) => {
          let body = '';
          response.on('data', (chunk) => (body += chunk));
          response.on('end', () => {
            if (response.statusCode !== 200) failures.push(`${response.statusCode} ${body.trim()}`);
            const name = body.split(' ')[0]!;
            served.set(name, (served.get(name) ?? 0) + 1);
            if (sentAfterKill && name === 'api-2') servedByVictimAfterKill++;
            answered++;
            resolve();
          });
          response.on('error', (error) => {
            failures.push(`response error ${error.message}`);
            resolve();
          });
        });
        request.on('error', (error) => {
          failures.push(`request error ${error.message}`);
          resolve();
        });
      });

    let loading = true;
    const client = async (id: number) => {
      // Bounded: at most 2000 requests per client.
      for (let i = 0; i < 2000 && loading; i++) await get(`/load/${id}/${i}?delay=${i % 4 === 0 ? 20 : 0}`);
    };
    const load = Promise.all([0, 1, 2, 3, 4, 5].map(client));
    try {
      // Every worker takes a share before the kill.
      await waitFor(() => ['api-1', 'api-2', 'api-3'].every((name) => (served.get(name) ?? 0) > 10), 'every worker to serve some requests', { timeout: 20_000 });
      const victim = workers[1]!.child;
      const exited = new Promise((resolve) => victim.once('exit', resolve));
      victim.kill('SIGKILL');
      await exited;
      victimGone = true;
      const atKill = answered;
      await waitFor(() => answered >= atKill + 200, '200 more answers after the kill', { timeout: 20_000 });
    } finally {
      loading = false;
      await load;
    }

    expect(failures).toEqual([]);
    // The dead one answers nothing sent after it died; the others answer for it.
    expect(servedByVictimAfterKill).toBe(0);
  });
});
