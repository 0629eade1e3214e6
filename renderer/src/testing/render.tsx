// Renders a view the way the dashboard does (inside its providers) over a fake client and a store
// that publishes at once, so a test can play the core and look at the page right after.

import { act, render } from '@testing-library/react';
import type { ReactElement } from 'react';
import type { EventEnvelope, Snapshot } from '../../../shared/events.ts';
import { DashboardProviders } from '../app/DashboardProviders.tsx';
import { DashboardStore } from '../state/store.ts';
import { FakeClient } from './fake-client.ts';
import { snapshot as makeSnapshot } from './fixtures.ts';

/** A store that publishes every batch synchronously (a test wraps changes in act()). */
export function immediateStore(): DashboardStore {
  return new DashboardStore({ schedule: (callback) => callback() });
}

export function renderView(ui: ReactElement, options: { client?: FakeClient; snapshot?: Snapshot | null } = {}) {
  const client = options.client ?? new FakeClient();
  const store = immediateStore();
  if (options.snapshot !== null) store.applySnapshot(options.snapshot ?? makeSnapshot());
  const result = render(
    <DashboardProviders client={client} store={store}>
      {ui}
    </DashboardProviders>,
  );
  return {
    ...result,
    client,
    store,
    /** Plays an event batch from the core. */
    emit: (events: EventEnvelope[]) => act(() => store.applyEvents(events)),
  };
}
