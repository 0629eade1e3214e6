// Per app, the last five minutes: requests per second, latency percentiles and error rate, from
// the proxy's one-second traffic samples.

import { useMemo } from 'react';
import { useDashboard } from '../../state/hooks.ts';
import { AppMetrics } from './AppMetrics.tsx';
import { appsInTraffic } from './traffic-series.ts';

export function MetricsView() {
  const traffic = useDashboard((state) => state.traffic);
  const status = useDashboard((state) => state.status);
  const known = useMemo(() => [...(status?.spec.apps.map((app) => app.name) ?? []), ...(status?.spec.statics.map((site) => site.name) ?? [])], [status]);
  const apps = useMemo(() => appsInTraffic(traffic, known), [traffic, known]);

  return (
    <div className="view metrics" data-testid="view-metrics">
      {traffic.length === 0 ? (
        <div className="empty" data-testid="metrics-empty">
          <h3>No traffic yet</h3>
          <p>The proxy reports each second of traffic once requests flow. Send some through it, or start a load test (press 5).</p>
        </div>
      ) : (
        apps.map((app) => <AppMetrics key={app} app={app} />)
      )}
    </div>
  );
}
