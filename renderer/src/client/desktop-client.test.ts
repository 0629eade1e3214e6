import { describe, expect, it } from 'vitest';
import type { DesktopBridge } from '../../../shared/desktop.ts';
import type { ClientMessage, ServerMessage } from '../../../shared/events.ts';
import { CLOSE_TOO_SLOW } from '../../../shared/events.ts';
import { bindSession } from '../state/session.ts';
import { DashboardStore } from '../state/store.ts';
import { logLine, snapshot } from '../testing/fixtures.ts';
import type { ConnectionState } from './dashboard-client.ts';
import { DesktopClient, desktopBridge } from './desktop-client.ts';

/** A bridge whose far end answers like the core's session: calls get replies, a subscribe its snapshot. */
function bridge(answer: (message: ClientMessage) => ServerMessage | null): DesktopBridge & { posted: ClientMessage[]; deliver(message: ServerMessage): void } {
  const listeners = new Set<(message: ServerMessage) => void>();
  const posted: ClientMessage[] = [];
  return {
    posted,
    post(message) {
      posted.push(message);
      const reply = answer(message);
      // The main process answers on a later turn, as a MessagePort does.
      if (reply) queueMicrotask(() => listeners.forEach((listener) => listener(reply)));
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** The core posts a message of its own accord. */
    deliver(message) {
      listeners.forEach((listener) => listener(message));
    },
  };
}

describe('DesktopClient', () => {
  it('is open at start and carries calls, replies and refusals over the bridge', async () => {
    const fake = bridge((message) => {
      if (message.type !== 'call') return null;
      if (message.method === 'restart') return { type: 'reply', id: message.id, ok: true, result: ['api-2'] };
      return { type: 'reply', id: message.id, ok: false, error: { code: 'not-found', message: 'no app named x' } };
    });
    const client = new DesktopClient(fake);
    const states: ConnectionState[] = [];
    client.onConnection((state) => states.push(state));
    client.start();
    expect(states).toEqual([{ status: 'open' }]);
    expect(client.connection.status).toBe('open');
    await expect(client.api.restart('api-2')).resolves.toEqual(['api-2']);
    await expect(client.api.scale('x', 2)).rejects.toMatchObject({ code: 'not-found', message: 'no app named x' });
    expect(fake.posted.map((message) => message.type === 'call' && message.method)).toEqual(['restart', 'scale']);
  });

  it('answers a subscribe with the snapshot and passes events on', async () => {
    const snap = snapshot();
    const fake = bridge((message) => (message.type === 'subscribe' ? { type: 'snapshot', snapshot: snap } : null));
    const client = new DesktopClient(fake);
    const seen: unknown[] = [];
    client.onSnapshot((each) => seen.push(each));
    client.start();
    client.subscribe({ logsAfter: 41 });
    expect(fake.posted).toEqual([{ type: 'subscribe', logsAfter: 41 }]);
    await Promise.resolve();
    expect(seen).toEqual([snap]);
  });

  it('acknowledges each events batch, and after the core drops the page fails its calls and subscribes again from its last line', async () => {
    const line = logLine('seen before the drop');
    const fake = bridge((message) => (message.type === 'subscribe' ? { type: 'snapshot', snapshot: snapshot() } : null));
    const client = new DesktopClient(fake);
    const store = new DashboardStore({ schedule: (callback) => callback() });
    bindSession(client, store);
    client.start();
    await Promise.resolve();
    const states: string[] = [];
    client.onConnection((state) => states.push(state.status));
    const pending = client.api.status();
    fake.deliver({ type: 'events', seq: 7, events: [{ topic: 'logs', data: [line] }] });
    fake.deliver({ type: 'closed', code: CLOSE_TOO_SLOW, reason: 'too slow' });
    await expect(pending).rejects.toMatchObject({ code: 'disconnected' });
    expect(states).toEqual(['connecting', 'open']);
    expect(fake.posted.filter((message) => message.type !== 'call')).toEqual([{ type: 'subscribe' }, { type: 'ack', seq: 7 }, { type: 'subscribe', logsAfter: line.seq }]);
  });

  it('is chosen only when the preload exposed a bridge with both functions', () => {
    expect(desktopBridge({})).toBeNull();
    expect(desktopBridge({ switchyard: { post: () => {} } })).toBeNull();
    const exposed = { post: () => {}, onMessage: () => () => {} };
    expect(desktopBridge({ switchyard: exposed })).toBe(exposed);
  });
});
