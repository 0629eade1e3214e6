// Loopback helpers for the data-plane benchmarks: free ports, waiting for a port to accept, and
// the single address every load run is allowed to target.

import net from 'node:net';
import { performance } from 'node:perf_hooks';

/** The only host the benchmarks send load to. */
export const LOOPBACK = '127.0.0.1';

/** Distinct free loopback ports; all are held open together so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, LOOPBACK, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** One free loopback port. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port as number;
}

/** Whether something accepts TCP connections on the loopback port now. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: LOOPBACK, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls until the port accepts; `gone` lets the caller stop early when the server's process has died. */
export async function untilAccepting(port: number, deadlineMs: number, gone: () => string | null = () => null): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  for (;;) {
    const why = gone();
    if (why !== null) throw new Error(why);
    if (await accepts(port)) return;
    if (performance.now() > deadline) throw new Error(`nothing accepted connections on ${LOOPBACK}:${port} within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
