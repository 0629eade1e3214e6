// What became of the last stack-file change: applied (and what changed), or refused with the
// compiler-style message, while the running stack was kept.

import { useDashboard } from '../../state/hooks.ts';
import { formatClock } from '../../ui/format.ts';

export function ConfigNotice(props: { showApplied?: boolean }) {
  const config = useDashboard((state) => state.config);
  if (!config) return null;
  if (config.applied) {
    if (!props.showApplied) return null;
    return (
      <div className="banner banner-ok" data-testid="config-outcome" data-applied="true">
        <strong>Stack file applied</strong> at {formatClock(config.time)}
        {config.changes.length > 0 ? (
          <ul className="changes">
            {config.changes.map((change) => (
              <li key={change}>{change}</li>
            ))}
          </ul>
        ) : (
          <span className="dim"> (nothing changed)</span>
        )}
      </div>
    );
  }
  return (
    <div className="banner banner-bad" role="alert" data-testid="config-outcome" data-applied="false">
      <strong>Stack file change refused</strong> at {formatClock(config.time)}; the running stack was kept.
      <pre className="mono config-message">{config.message}</pre>
    </div>
  );
}
