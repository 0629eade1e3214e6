import { describe, expect, it } from 'vitest';
import { FakeClient } from '../testing/fake-client.ts';
import { logLine, snapshot, status } from '../testing/fixtures.ts';
import { bindSession } from './session.ts';
import { DashboardStore } from './store.ts';

describe('bindSession', () => {
  it('subscribes on open, and after a reconnect only from what the store holds', () => {
    const client = new FakeClient({ status: 'connecting', attempt: 1 });
    const store = new DashboardStore({ schedule: (callback) => callback() });
    bindSession(client, store);
    expect(client.subscriptions).toEqual([]);
    client.setConnection({ status: 'open' });
    expect(client.subscriptions).toEqual([{}]);

    const line = logLine('hello');
    client.emitSnapshot(snapshot({ logs: [line] }));
    client.setConnection({ status: 'closed', reason: 'gone', retryAt: 0 });
    client.setConnection({ status: 'open' });
    expect(client.subscriptions[1]).toEqual({ logsAfter: line.seq });
    expect(store.getState().logs.size).toBe(1);
  });

  it('starts afresh when the snapshot comes from a restarted core', () => {
    const client = new FakeClient();
    const store = new DashboardStore({ schedule: (callback) => callback() });
    bindSession(client, store);
    client.emitSnapshot(snapshot({ logs: [logLine('first run')] }));
    client.emitSnapshot(snapshot({ status: status({ pid: 4321 }), logs: [] }));
    expect(store.getState().logs.size).toBe(0);
    expect(client.subscriptions.at(-1)).toEqual({});
    client.emitSnapshot(snapshot({ status: status({ pid: 4321 }), logs: [logLine('second run')] }));
    expect(store.getState().logs.toArray().map((line) => line.text)).toEqual(['second run']);
  });

  it('stops feeding the store once disposed', () => {
    const client = new FakeClient();
    const store = new DashboardStore({ schedule: (callback) => callback() });
    const dispose = bindSession(client, store);
    dispose();
    client.emitSnapshot(snapshot());
    expect(store.getState().loaded).toBe(false);
  });
});
