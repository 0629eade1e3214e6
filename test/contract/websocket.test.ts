// The contract suite over the WebSocket transport that `switchyard up` serves, and the checks that
// keep other pages and other hosts out of it.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SessionClient } from '../../shared/client.ts';
import { CLOSE_TOO_SLOW, WS_PATH, WS_PROTOCOL, WS_TOKEN_PREFIX, type ServerMessage } from '../../shared/events.ts';
import { ControlServer } from '../../main/core/control/control-server.ts';
import type { ControlHub } from '../../main/core/control/control-api.ts';
import { LogStore } from '../../main/core/logs/log-store.ts';
import { Session } from '../../main/core/control/session.ts';
import { waitFor } from '../helpers/wait.ts';
import { contractSuite, recording, type ContractConnection } from './contract-suite.ts';

const servers: ControlServer[] = [];

async function serve(hub: ControlHub, token: string): Promise<ControlServer> {
  const server = await ControlServer.listen({ api: hub.api, hub, logs: new LogStore(), logSources: () => null, token });
  servers.push(server);
  return server;
}

/** Opens a WebSocket as a browser on the dashboard page would, or with the given changes. */
function openSocket(port: number, options: { token?: string | null; host?: string; origin?: string } = {}): WebSocket {
  const protocols = options.token === null ? [WS_PROTOCOL] : [WS_PROTOCOL, WS_TOKEN_PREFIX + (options.token ?? '')];
  const headers: Record<string, string> = { origin: options.origin ?? `http://127.0.0.1:${port}` };
  if (options.host) headers.host = options.host;
  return new WebSocket(`ws://127.0.0.1:${port}${WS_PATH}`, protocols, { headers });
}

async function connectOver(hub: ControlHub): Promise<ContractConnection> {
  const token = randomBytes(16).toString('hex');
  const server = await serve(hub, token);
  const ws = openSocket(server.port, { token });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  expect(ws.protocol).toBe(WS_PROTOCOL);
  const client = new SessionClient({ send: (message) => ws.send(JSON.stringify(message)) });
  ws.on('message', (data) => client.receive(JSON.parse(String(data)) as ServerMessage));
  ws.on('close', () => client.disconnected());
  return recording(client, async () => {
    if (ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise((resolve) => ws.once('close', resolve));
    ws.close();
    await closed;
  });
}

afterAll(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

contractSuite('WebSocket', connectOver);

/** The HTTP status of a refused upgrade. */
function refusal(ws: WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('error', () => {});
  });
}

describe('the WebSocket endpoint refuses', () => {
  const token = 'a'.repeat(32);
  // A hub is not needed to refuse; the checks run before any session exists.
  const hub = { api: {}, subscribe: () => ({ snapshot: {}, dispose: () => {} }) } as unknown as ControlHub;

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('a client without the token, or with a wrong one', async () => {
    const server = await serve(hub, token);
    expect(await refusal(openSocket(server.port, { token: null }))).toBe(401);
    expect(await refusal(openSocket(server.port, { token: 'b'.repeat(32) }))).toBe(401);
  });

  it('a foreign Host (DNS rebinding) and a foreign Origin (another site in the browser)', async () => {
    const server = await serve(hub, token);
    expect(await refusal(openSocket(server.port, { token, host: `evil.example:${server.port}` }))).toBe(403);
    expect(await refusal(openSocket(server.port, { token, origin: 'http://evil.example' }))).toBe(403);
    expect(await refusal(openSocket(server.port, { token, origin: `http://127.0.0.1:${server.port + 1}` }))).toBe(403);
  });
});

describe('the dashboard page', () => {
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('is served without the token, framed by nobody, and only to its own Host', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-dashboard-'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Switchyard</title>');
    const hub = { api: {} } as unknown as ControlHub;
    const server = await ControlServer.listen({ api: hub.api, hub, logs: new LogStore(), logSources: () => null, token: 'secret-token', dashboardDir: dir });
    servers.push(server);
    expect(server.dashboardUrl).toBe(`http://127.0.0.1:${server.port}/#token=secret-token`);
    const page = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Switchyard</title>');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    // A client-side route of the page gets the page too; the API next to it still wants the token.
    expect((await fetch(`http://127.0.0.1:${server.port}/logs`, { headers: { accept: 'text/html' } })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${server.port}/v1/logs`)).status).toBe(401);
    const rebound = await rawGet(server.port, '/', `rebound.example:${server.port}`);
    expect(rebound).toMatch(/^HTTP\/1.1 403/);
  });
});

/** A GET with a Host header of our choosing (fetch will not send a foreign one). */
function rawGet(port: number, target: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('a session', () => {
  it('drops a client that does not take its events, with the close code that says to reconnect', async () => {
    const closes: number[] = [];
    const sent: ServerMessage[] = [];
    let listener: ((envelope: never) => void) | null = null;
    const hub = {
      api: {},
      subscribe: (_request: unknown, each: (envelope: never) => void) => {
        listener = each;
        return { snapshot: { logs: [] }, dispose: () => (listener = null) };
      },
    } as unknown as ControlHub;
    const session = new Session(hub, { send: (message) => sent.push(message), backlog: () => 64 * 1024 * 1024, close: (code) => closes.push(code) });
    session.receive({ type: 'subscribe' });
    expect(sent.map((message) => message.type)).toEqual(['snapshot']);
    listener!({ topic: 'removed', data: { name: 'x' } } as never);
    await waitFor(() => closes.length > 0, 'the session to close');
    expect(closes).toEqual([CLOSE_TOO_SLOW]);
    expect(listener).toBeNull();
    expect(sent).toHaveLength(1);
  });

  it('answers a malformed message with a bad-request reply and keeps going', () => {
    const sent: ServerMessage[] = [];
    const hub = { api: {} } as unknown as ControlHub;
    const session = new Session(hub, { send: (message) => sent.push(message), backlog: () => 0, close: () => {} });
    session.receive({ type: 'call', id: 7, method: 'runShell', args: ['rm -rf /'] });
    session.receive('not JSON');
    expect(sent).toEqual([
      { type: 'reply', id: 7, ok: false, error: { code: 'bad-request', message: expect.stringMatching(/invalid control call/) } },
      { type: 'reply', id: -1, ok: false, error: { code: 'bad-request', message: expect.stringMatching(/invalid message/) } },
    ]);
  });
});
