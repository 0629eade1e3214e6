// Idle keep-alive clients: 2,000 connections to the proxy, each sends one request and then waits,
// as browsers and load balancers keep theirs. The proxy's memory per idle connection, its open
// descriptors, and whether its memory comes back a minute after they close; beside nginx in front
// of the same worker, measured the same way in the same run. Linux only (/proc).
//
// The goals are read off the first round, on a proxy that has served nothing yet, as a user's first
// burst meets it: its 'before' still holds start-up garbage, which the collection after the load also
// frees, and its 'with clients' also holds what compiling the request path costs once. A second round
// on the same, now warm, proxy is printed beside it (not a goal): its 'before' is the first round's
// 'after', taken after that collection, so it shows what each connection costs and what stays behind
// once nothing is compiled for the first time and both ends were collected.

import net from 'node:net';
import { readdirSync } from 'node:fs';
import { Stack } from '../main/core/stack.ts';
import { processMemory } from './lib/browser.ts';
import { freePort, LOOPBACK } from './lib/net.ts';
import { findNginx, proxySite, startNginx } from './lib/nginx.ts';
import { startStack, stopStack } from './lib/stack.ts';
import { isMain, runAlone } from './lib/standalone.ts';
import { helloStack } from './proxy.ts';
import { bytes, count, printTable, type BenchResult } from './stats.ts';

const CLIENTS = 2000;
/** Connections opened at once, so the listen backlog never overflows. */
const BATCH = 100;
/** How long after the clients closed the memory is read again (the minute). */
const AFTER_MS = 60_000;
const PER_CONNECTION_GOAL = 25 * 1024;
const RETURN_GOAL = 0.1;
const READY_DEADLINE_MS = 20_000;

/** What one proxy held: memory before, with the clients, and a minute after they left; descriptors. */
interface Measured {
  before: number;
  loaded: number;
  after: number;
  fdsBefore: number;
  fdsLoaded: number;
  fdsAfter: number;
}

function rssOf(pids: readonly number[]): number {
  return pids.reduce((total, pid) => total + (processMemory(pid)?.rss ?? 0), 0);
}

function descriptorsOf(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // Gone.
    }
  }
  return total;
}

/** Opens `CLIENTS` connections to `port`, one answered GET on each; resolves with them still open. */
async function openIdleClients(port: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let start = 0; start < CLIENTS; start += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, CLIENTS - start) }, () =>
        new Promise<void>((resolve, reject) => {
          const socket = net.connect({ host: LOOPBACK, port });
          socket.setTimeout(10_000, () => reject(new Error(`a client connection to :${port} got no answer within 10 s`)));
          socket.once('error', reject);
          socket.once('connect', () => socket.write(`GET / HTTP/1.1\r\nHost: ${LOOPBACK}:${port}\r\n\r\n`));
          socket.once('data', () => {
            socket.setTimeout(0);
            resolve();
          });
          sockets.push(socket);
        }),
      ),
    );
  }
  return sockets;
}

async function measure(port: number, pids: () => number[], previous?: Measured): Promise<Measured> {
  const before = previous?.after ?? rssOf(pids());
  const fdsBefore = previous?.fdsAfter ?? descriptorsOf(pids());
  const sockets = await openIdleClients(port);
  const loaded = rssOf(pids());
  const fdsLoaded = descriptorsOf(pids());
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, AFTER_MS));
  return { before, loaded, after: rssOf(pids()), fdsBefore, fdsLoaded, fdsAfter: descriptorsOf(pids()) };
}

export async function benchConnections(): Promise<BenchResult> {
  if (process.platform !== 'linux') throw new Error('the connections benchmark reads /proc: Linux only');
  const spec = helloStack(await freePort());
  const stack = new Stack({ ...spec, proxy: spec.proxy && { ...spec.proxy, maxConnections: CLIENTS * 2 } });
  const nginxBinary = findNginx();
  let nginx: Awaited<ReturnType<typeof startNginx>> | null = null;
  try {
    await startStack(stack, READY_DEADLINE_MS);
    const proxyPid = () => stack.processes().filter((p) => p.name === 'proxy' && p.pid !== null).map((p) => p.pid as number);
    const workerPort = stack.processes().find((p) => p.name === 'hello-1')?.port ?? null;
    const ours = await measure(spec.proxy?.listen.port as number, proxyPid);
    const oursWarm = await measure(spec.proxy?.listen.port as number, proxyPid, ours);
    let theirs: Measured | null = null;
    if (nginxBinary !== null && workerPort !== null) {
      nginx = await startNginx(nginxBinary, proxySite(workerPort), { workerConnections: CLIENTS * 2 });
      const nginxPid = (nginx as { pid: number }).pid;
      theirs = await measure(nginx.port, () => [nginxPid]);
    }
    const perConnection = (m: Measured) => (m.loaded - m.before) / CLIENTS;
    const returned = (m: Measured) => (m.after - m.before) / m.before;
    // One decimal: the goal is judged on the exact figure, and a rounded "10%" could read as met; no "-0.0%".
    const above = (m: Measured) => `${(Math.round(returned(m) * 1000) / 10 || 0).toFixed(1)}%`;
    const row = (label: string, m: Measured) => [
      label,
      bytes(m.before),
      bytes(m.loaded),
      bytes(perConnection(m)),
      `${bytes(m.after)} (${above(m)})`,
      `${count(m.fdsBefore)} / ${count(m.fdsLoaded)} / ${count(m.fdsAfter)}`,
    ];
    printTable(
      `${count(CLIENTS)} idle keep-alive clients (one answered request each): proxy RSS and descriptors before, with them, ${AFTER_MS / 1000} s after they closed`,
      [{ title: '' }, { title: 'before' }, { title: 'with clients' }, { title: 'per client' }, { title: `after ${AFTER_MS / 1000} s` }, { title: 'fds' }],
      [row('Switchyard proxy', ours), theirs ? row('nginx (1 worker)', theirs) : ['nginx', 'not installed', '', '', '', ''], row('proxy, second round', oursWarm)],
      'RSS read the moment the last client had its answer, and 60 s after they closed; the goals are on the first round.\n' +
        "Second round (not a goal): the same proxy, warm; its 'before' is the first round's 'after', taken after the proxy's own collection.",
    );
    const anchor = theirs ? `; nginx ${bytes(perConnection(theirs))}` : '';
    return {
      name: 'connections',
      goals: [
        { label: 'idle client connection: proxy memory each', met: perConnection(ours) <= PER_CONNECTION_GOAL, detail: `${bytes(perConnection(ours))} (goal <= ${bytes(PER_CONNECTION_GOAL)}${anchor})` },
        {
          label: `proxy memory ${AFTER_MS / 1000} s after the clients left`,
          met: returned(ours) <= RETURN_GOAL,
          detail: `${bytes(ours.after)}, ${above(ours)} above its ${bytes(ours.before)} before (goal <= ${RETURN_GOAL * 100}%)`,
        },
      ],
      readme: [
        {
          benchmark: `${count(CLIENTS)} idle keep-alive clients: proxy memory per client / back ${AFTER_MS / 1000} s after`,
          anchor: theirs ? `nginx: ${bytes(perConnection(theirs))} / ${above(theirs)} above before` : 'nginx not installed',
          switchyard: `${bytes(perConnection(ours))} / ${above(ours)} above before`,
          ratio: `goal <= ${bytes(PER_CONNECTION_GOAL)} / <= ${RETURN_GOAL * 100}%`,
        },
      ],
    };
  } finally {
    await nginx?.stop();
    await stopStack(stack);
  }
}

if (isMain(import.meta.url)) await runAlone(benchConnections);
