// A worker killed outright under load: requests in flight on it and new ones that pick it before
// anyone has told the proxy must all end up answered by the others.

import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
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
    let killedAt = 0;
    let servedByVictimAfterKill = 0;
    const get = (path: string) =>
      new Promise<void>((resolve) => {
        const request = http.get({ host: '127.0.0.1', port, path, agent }, (response) => {
          let body = '';
          response.on('data', (chunk) => (body += chunk));
          response.on('end', () => {
            if (response.statusCode !== 200) failures.push(`${response.statusCode} ${body.trim()}`);
            const name = body.split(' ')[0]!;
            served.set(name, (served.get(name) ?? 0) + 1);
            if (killedAt > 0 && name === 'api-2' && Date.now() - killedAt > 50) servedByVictimAfterKill++;
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

    const deadline = Date.now() + 2000;
    const client = async (id: number) => {
      // Bounded: at most 2 s and 2000 requests per client.
      for (let i = 0; i < 2000 && Date.now() < deadline; i++) await get(`/load/${id}/${i}?delay=${i % 4 === 0 ? 20 : 0}`);
    };
    const load = Promise.all([0, 1, 2, 3, 4, 5].map(client));
    setTimeout(() => {
      killedAt = Date.now();
      workers[1]!.child.kill('SIGKILL');
    }, 600);
    await load;

    expect(failures).toEqual([]);
    expect(killedAt).toBeGreaterThan(0);
    // Every worker took a share before the kill, and the dead one nothing after.
    for (const name of ['api-1', 'api-2', 'api-3']) expect(served.get(name) ?? 0).toBeGreaterThan(10);
    expect(servedByVictimAfterKill).toBe(0);
    expect([...served.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(200);
  });
});
