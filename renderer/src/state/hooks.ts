// React's view of the store: components pick one field, so a batch that changes only the logs
// re-renders only what shows logs.

import { createContext, useContext, useSyncExternalStore } from 'react';
import type { DashboardState, DashboardStore } from './store.ts';

export const StoreContext = createContext<DashboardStore | null>(null);

export function useStore(): DashboardStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useStore outside a StoreContext provider');
  return store;
}

/** One field (or anything else the state already holds): `select` must not build new objects. */
export function useDashboard<T>(select: (state: DashboardState) => T): T {
  const store = useStore();
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
