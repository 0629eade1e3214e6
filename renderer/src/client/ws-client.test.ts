import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ClientMessage, ServerMessage } from '../../../shared/events.ts';
import { CLOSE_REFUSED, CLOSE_TOO_SLOW, WS_PROTOCOL } from '../../../shared/events.ts';
import { snapshot } from '../testing/fixtures.ts';
import type { ConnectionState } from './dashboard-client.ts';
import { REFUSED_MESSAGE } from './dashboard-client.ts';
import type { SocketLike } from './ws-client.ts';
import { WebSocketClient } from './ws-client.ts';

class FakeSocket implements SocketLike {
  readyState = 0;
  readonly sent: ClientMessage[] = [];
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly url: string;
  readonly protocols: string[];
  constructor(url: string, protocols: string[]) {
    this.url = url;
    this.protocols = protocols;
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }
  message(message: ServerMessage): void {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }
  closeWith(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

function setup(options: { token?: string | null; probe?: () => Promise<'refused' | 'unreachable'> } = {}) {
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const client = new WebSocketClient({
    url: 'ws://127.0.0.1:4000/v1/ws',
    token: options.token === undefined ? 'secret' : options.token,
    createSocket: (url, protocols) => {
      const socket = new FakeSocket(url, protocols);
      sockets.push(socket);
      return socket;
    },
    probe: options.probe,
    now: () => Date.now(),
  });
  client.onConnection((state) => states.push(state));
  const last = () => sockets[sockets.length - 1] as FakeSocket;
  return { client, sockets, states, last };
}

describe('WebSocketClient', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('carries the token in the subprotocols and speaks JSON through a SessionClient', async () => {
    const { client, last } = setup();
    client.start();
    expect(last().protocols).toEqual([WS_PROTOCOL, 'token.secret']);
    last().open();
    expect(client.connection).toEqual({ status: 'open' });

    const snapshots: unknown[] = [];
    client.onSnapshot((value) => snapshots.push(value));
    client.subscribe({ logsAfter: 5 });
    expect(last().sent).toEqual([{ type: 'subscribe', logsAfter: 5 }]);
    last().message({ type: 'snapshot', snapshot: snapshot() });
    expect(snapshots).toHaveLength(1);

    const restarted = client.api.restart('api-2');
    const call = last().sent[1] as Extract<ClientMessage, { type: 'call' }>;
    expect(call).toMatchObject({ type: 'call', method: 'restart', args: ['api-2'] });
    last().message({ type: 'reply', id: call.id, ok: true, result: ['api-2'] });
    await expect(restarted).resolves.toEqual(['api-2']);
  });

  it('reconnects with a backoff from 250 ms doubling to 5 s, and starts over after a good session', async () => {
    const { client, sockets, last } = setup();
    client.start();
    const waits: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      last().closeWith(1006);
      await vi.advanceTimersByTimeAsync(0);
      const state = client.connection;
      expect(state.status).toBe('closed');
      waits.push(state.status === 'closed' ? state.retryAt - Date.now() : -1);
      const before = sockets.length;
      await vi.advanceTimersByTimeAsync(waits[waits.length - 1] as number);
      expect(sockets.length).toBe(before + 1);
    }
    expect(waits).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);

    last().open();
    last().message({ type: 'events', seq: 1, events: [] });
    last().closeWith(1006);
    await vi.advanceTimersByTimeAsync(0);
    const state = client.connection;
    expect(state.status === 'closed' && state.retryAt - Date.now()).toBe(250);
  });

  it('fails calls in flight when the connection drops, and calls made while disconnected', async () => {
    const { client, last } = setup();
    client.start();
    last().open();
    const pending = client.api.status();
    last().closeWith(1006);
    await expect(pending).rejects.toMatchObject({ name: 'CallError', code: 'disconnected' });
    await expect(client.api.status()).rejects.toMatchObject({ code: 'disconnected' });
  });

  it('reconnects at once when dropped for reading too slowly', () => {
    const { client, sockets, last } = setup();
    client.start();
    last().open();
    last().closeWith(CLOSE_TOO_SLOW);
    expect(sockets).toHaveLength(2);
    expect(client.connection.status).toBe('connecting');
  });

  it('stops trying when the core refuses the token', async () => {
    const { client, sockets, last } = setup();
    client.start();
    last().closeWith(CLOSE_REFUSED);
    expect(client.connection).toEqual({ status: 'refused', reason: REFUSED_MESSAGE });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sockets).toHaveLength(1);
  });

  it('asks the control API why a handshake failed: a 401 is a refusal, silence is an outage', async () => {
    let verdict: 'refused' | 'unreachable' = 'unreachable';
    const { client, last } = setup({ probe: async () => verdict });
    client.start();
    last().closeWith(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(client.connection.status).toBe('closed');
    verdict = 'refused';
    await vi.advanceTimersByTimeAsync(250);
    last().closeWith(1006);
    await vi.advanceTimersByTimeAsync(0);
    expect(client.connection.status).toBe('refused');
  });

  it('without a token says so and never connects', () => {
    const { client, sockets } = setup({ token: null });
    client.start();
    expect(sockets).toHaveLength(0);
    expect(client.connection).toEqual({ status: 'refused', reason: REFUSED_MESSAGE });
  });

  it('retries now on request, and stays down once disposed', async () => {
    const { client, sockets, last } = setup();
    client.start();
    last().closeWith(1006);
    await vi.advanceTimersByTimeAsync(0);
    client.retryNow();
    expect(sockets).toHaveLength(2);
    client.dispose();
    last().closeWith(1006);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(2);
  });
});
