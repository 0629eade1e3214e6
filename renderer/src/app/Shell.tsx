// The page inside the providers: header, banners, nav, the current view, and the shortcuts that
// move between them. Before the first snapshot (or when refused) a status screen stands in.

import { lazy, Suspense, useCallback, useState, useSyncExternalStore } from 'react';
import type { DashboardClient } from '../client/dashboard-client.ts';
import { useDashboard } from '../state/hooks.ts';
import { canChooseTheme, toggleTheme } from '../ui/theme.ts';
import { DiagnosticsView } from '../views/diagnostics/DiagnosticsView.tsx';
import { LoadView } from '../views/load/LoadView.tsx';
import { LogsView } from '../views/logs/LogsView.tsx';
import { Overview } from '../views/overview/Overview.tsx';
import { RequestsView } from '../views/requests/RequestsView.tsx';
import { StackView } from '../views/stack/StackView.tsx';
import { ConnectionBanner } from './ConnectionBanner.tsx';
import type { ViewId } from './context.ts';
import { useLogSettings, VIEWS } from './context.ts';
import { Header } from './Header.tsx';
import { Nav } from './Nav.tsx';
import { useShortcuts } from './shortcuts.ts';
import { ShortcutsHelp } from './ShortcutsHelp.tsx';
import { StatusScreen } from './StatusScreen.tsx';

// uPlot is needed only by the Metrics view: its own chunk, fetched the first time it is shown.
const MetricsView = lazy(() => import('../views/metrics/MetricsView.tsx').then((module) => ({ default: module.MetricsView })));

function useConnection(client: DashboardClient) {
  return useSyncExternalStore(
    (listener) => client.onConnection(listener),
    () => client.connection,
  );
}

export function Shell(props: { client: DashboardClient; initialView: ViewId }) {
  const connection = useConnection(props.client);
  const loaded = useDashboard((state) => state.loaded);
  const [view, setView] = useState<ViewId>(props.initialView);
  const [help, setHelp] = useState(false);
  const closeHelp = useCallback(() => setHelp(false), []);
  const logs = useLogSettings();

  useShortcuts((key) => {
    const target = VIEWS.find((entry) => entry.key === key);
    if (target) {
      setView(target.id);
      return true;
    }
    switch (key) {
      case '/':
        setView('logs');
        logs.requestSearchFocus();
        return true;
      case 'f':
        logs.setFollow(!logs.follow);
        return true;
      case 't':
        if (!canChooseTheme()) return false;
        toggleTheme();
        return true;
      case '?':
        setHelp(true);
        return true;
    }
    return false;
  });

  if (connection.status === 'refused') {
    return (
      <div className="app">
        <Header connection={connection} onShowShortcuts={() => setHelp(true)} />
        <StatusScreen connection={connection} />
      </div>
    );
  }

  return (
    <div className="app" data-view={view}>
      <Header connection={connection} onShowShortcuts={() => setHelp(true)} />
      {connection.status === 'closed' && <ConnectionBanner connection={connection} onRetry={() => props.client.retryNow()} />}
      {!loaded ? (
        <StatusScreen connection={connection} />
      ) : (
        <div className="body">
          <Nav view={view} onSelect={setView} />
          <main className={`main${connection.status === 'open' ? '' : ' stale'}`} aria-label={VIEWS.find((entry) => entry.id === view)?.label}>
            {view === 'overview' && <Overview />}
            {view === 'logs' && <LogsView />}
            {view === 'requests' && <RequestsView />}
            {view === 'metrics' && (
              <Suspense fallback={<div className="empty">Loading charts…</div>}>
                <MetricsView />
              </Suspense>
            )}
            {view === 'load' && <LoadView />}
            {view === 'stack' && <StackView />}
            {view === 'diagnostics' && <DiagnosticsView />}
          </main>
        </div>
      )}
      {help && <ShortcutsHelp onClose={closeHelp} />}
    </div>
  );
}
