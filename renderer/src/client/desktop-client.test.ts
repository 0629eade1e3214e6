import { describe, expect, it } from 'vitest';
import type { DesktopBridge } from '../../../shared/desktop.ts';
import type { ClientMessage, ServerMessage } from '../../../shared/events.ts';
import { snapshot } from '../testing/fixtures.ts';
import type { ConnectionState } from './dashboard-client.ts';
import { DesktopClient, desktopBridge } from './desktop-client.ts';

/** A bridge whose far end answers like the core's session: calls get replies, a subscribe its snapshot. */
function bridge(answer: (message: ClientMessage) => ServerMessage | null): DesktopBridge & { posted: ClientMessage[] } {
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

  it('is chosen only when the preload exposed a bridge with both functions', () => {
    expect(desktopBridge({})).toBeNull();
    expect(desktopBridge({ switchyard: { post: () => {} } })).toBeNull();
    const exposed = { post: () => {}, onMessage: () => () => {} };
    expect(desktopBridge({ switchyard: exposed })).toBe(exposed);
  });
});
