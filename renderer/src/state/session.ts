// Wires a client to a store: each time the connection opens, subscribe from what the store holds;
// each snapshot and event batch goes into the store. A snapshot from a restarted core (another pid
// or start time) means the held sequence numbers are meaningless: forget them and subscribe afresh.

import type { DashboardClient } from '../client/dashboard-client.ts';
import type { DashboardStore } from './store.ts';

/** Starts feeding the store; returns the function that stops it. */
export function bindSession(client: DashboardClient, store: DashboardStore): () => void {
  const disposers = [
    client.onConnection((state) => {
      if (state.status === 'open') client.subscribe(store.resumePoint());
    }),
    client.onSnapshot((snapshot) => {
      if (store.isOtherRun(snapshot)) {
        store.reset();
        client.subscribe({});
        return;
      }
      store.applySnapshot(snapshot);
    }),
    client.onEvents((events) => store.applyEvents(events)),
  ];
  if (client.connection.status === 'open') client.subscribe(store.resumePoint());
  return () => {
    for (const dispose of disposers) dispose();
  };
}
