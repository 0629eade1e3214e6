// proxy.max_connections: past the cap a proxy process closes new connections at once, keeping its file
// handles for the connections it serves, and says so once per episode with how to raise the cap.

import { describe, expect, it } from 'vitest';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromProxy } from '../../shared/proxy.ts';
import type { CapEpisode } from '../../main/core/proxy/builtin/connection-cap.ts';
import { waitFor } from '../helpers/wait.ts';
import { app, cleanUpAfterEach, config, member, onCleanup, rawConnection, route, send, startProxy, startUpstream } from './helpers.ts';
import type { RawConnection } from './helpers.ts';

cleanUpAfterEach();

const PROXY_MAIN = fileURLToPath(new URL('../../main/core/proxy/builtin/proxy-main.ts', import.meta.url));

/** Opens `count` connections one after another, each accepted (or refused) before the next. */
async function openMany(port: number, count: number): Promise<RawConnection[]> {
  const opened: RawConnection[] = [];
  for (let i = 0; i < count; i++) opened.push(await rawConnection(port));
  return opened;
}

describe('proxy.max_connections', () => {
  it('closes connections past the cap at once, tells the episode once, and serves again when there is room', async () => {
    const upstream = await startUpstream();
    const running = await startProxy(config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])], { maxConnections: 3 }));
    const episodes: CapEpisode[] = [];
    running.proxy.onConnectionCap((episode) => episodes.push(episode));

    const held = await openMany(running.port, 3);
    await waitFor(() => running.proxy.stats().connections === 3, 'three connections at the proxy');
    const refused = await openMany(running.port, 3);
    await waitFor(() => refused.every((connection) => connection.closed()), 'the connections past the cap to be closed');
    expect(refused.map((connection) => connection.received())).toEqual(['', '', '']);
    expect(held.some((connection) => connection.closed())).toBe(false);
    expect(episodes).toEqual([{ reached: true, cap: 3 }]);

    for (const connection of held.slice(0, 2)) connection.socket.destroy();
    await waitFor(() => episodes.length === 2, 'the end of the episode');
    expect(episodes[1]).toEqual({ reached: false, cap: 3, refused: 3 });
    expect((await send(running.port, '/room-again')).status).toBe(200);
  });

  it('says in the proxy log what happened and how to raise the cap', async () => {
    const upstream = await startUpstream();
    const child = fork(PROXY_MAIN, [], { execPath: process.execPath, execArgv: [], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    onCleanup(() => void child.kill('SIGKILL'));
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
    const messages: FromProxy[] = [];
    child.on('message', (message: FromProxy) => messages.push(message));
    child.send({ type: 'configure', version: 1, config: config([route('/', 'api')], [app('api', [member('api-1', upstream.port)])], { maxConnections: 1 }) });
    child.send({ type: 'listen', host: '127.0.0.1', port: 0 });
    const listening = await waitFor(() => messages.find((message) => message.type === 'listening'), 'the proxy to listen');
    const port = (listening as Extract<FromProxy, { type: 'listening' }>).port;

    await rawConnection(port);
    const refused = await openMany(port, 2);
    await waitFor(() => refused.every((connection) => connection.closed()), 'the connections past the cap to be closed');
    await waitFor(() => stdout.includes('connection limit reached'), 'the log line');
    expect(stdout).toContain(
      'connection limit reached: 1 client connection is open, so new ones are closed at once until some end; if this load is expected, raise proxy.max_connections in the stack file (now 1)',
    );
    expect(stdout.match(/connection limit reached/g)).toHaveLength(1);
  });
});
