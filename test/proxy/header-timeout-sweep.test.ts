// An idle proxy's header-timeout sweep is parked: Node would otherwise wake it every second with no
// client connected. The sweep itself (a request head overdue gets 408) is client-timeouts.test.ts's.

import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { parkHeaderSweepWhileIdle } from '../../main/core/proxy/builtin/header-timeout-sweep.ts';
import { waitFor } from '../helpers/wait.ts';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('parkHeaderSweepWhileIdle', () => {
  it('parks the sweep once listening, runs it while a client is connected, and parks it when the last one leaves', async () => {
    const server = http.createServer({ connectionsCheckingInterval: 1000 }, (_req, res) => res.end('ok'));
    servers.push(server);
    const open = new Set<net.Socket>();
    const changed = parkHeaderSweepWhileIdle(server, 1000, () => open.size);
    server.on('connection', (socket: net.Socket) => {
      open.add(socket);
      changed();
      socket.once('close', () => {
        open.delete(socket);
        changed();
      });
    });
    const interval = () => (server as http.Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    expect(interval()).toBeGreaterThan(24 * 3600_000);

    const clients = [0, 1].map(() => net.connect((server.address() as AddressInfo).port, '127.0.0.1'));
    await waitFor(() => open.size === 2, 'two clients connected');
    expect(interval()).toBe(1000);
    clients[0]!.destroy();
    await waitFor(() => open.size === 1, 'one client left');
    expect(interval()).toBe(1000);
    clients[1]!.destroy();
    await waitFor(() => open.size === 0, 'no client left');
    expect(interval()).toBeGreaterThan(24 * 3600_000);
  });
});
