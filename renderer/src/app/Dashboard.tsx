// The whole page: header, nav and the current view, over one client and one store. The store
// outlives reconnections, so a page that lost the core keeps its picture and fetches only what it
// missed when the core answers again.

import { useEffect, useMemo } from 'react';
import type { DashboardClient } from '../client/dashboard-client.ts';
import { bindSession } from '../state/session.ts';
import { DashboardStore } from '../state/store.ts';
import { installTheme } from '../ui/theme.ts';
import type { ViewId } from './context.ts';
import { DashboardProviders } from './DashboardProviders.tsx';
import { Shell } from './Shell.tsx';

export function Dashboard(props: { client: DashboardClient; store?: DashboardStore; initialView?: ViewId }) {
  const { client } = props;
  const store = useMemo(() => props.store ?? new DashboardStore(), [props.store]);
  useEffect(() => bindSession(client, store), [client, store]);
  useEffect(() => installTheme(), []);
  return (
    <DashboardProviders client={client} store={store}>
      <Shell client={client} initialView={props.initialView ?? 'overview'} />
    </DashboardProviders>
  );
}
