// What the stack runs with: the host and runtime, the PATH its processes get and where each app's
// command resolves on it. The desktop app does not inherit a terminal's PATH, so this is where
// "command not found" gets its answer.

import type { DiagnosticsRuntime } from '../../../../shared/api.ts';
import { ActionButton } from '../../ui/ActionButton.tsx';
import { formatClock } from '../../ui/format.ts';
import { CommandsPanel } from './CommandsPanel.tsx';
import { PathPanel } from './PathPanel.tsx';
import { ProxyPanel } from './ProxyPanel.tsx';
import { useDiagnostics } from './use-diagnostics.ts';

const HOST_LABEL: Record<DiagnosticsRuntime['host'], string> = {
  cli: 'switchyard up (terminal)',
  desktop: 'Desktop app',
};

export function DiagnosticsView() {
  const { diagnostics, fetchedAt, loading, error, refresh } = useDiagnostics();
  const runtime = diagnostics?.runtime;
  return (
    <div className="view diagnostics" data-testid="view-diagnostics" aria-busy={loading || undefined}>
      <section className="panel" aria-label="Runtime">
        <header className="panel-header">
          <h3>Diagnostics</h3>
          {fetchedAt !== null && <span className="dim">checked at {formatClock(fetchedAt)}</span>}
          <span className="spacer" />
          <ActionButton label="Refresh diagnostics" onRun={refresh} disabled={loading} testId="diagnostics-refresh">
            Refresh
          </ActionButton>
        </header>
        {runtime ? (
          <p className="runtime-line mono" data-testid="diagnostics-runtime" data-host={runtime.host}>
            <span>{HOST_LABEL[runtime.host]}</span>
            <span>Node {runtime.node}</span>
            {runtime.electron !== null && <span>Electron {runtime.electron}</span>}
            <span>
              {runtime.platform} {runtime.arch}
            </span>
            <span>pid {runtime.pid}</span>
          </p>
        ) : (
          !error && (
            <div className="empty" role="status" data-testid="diagnostics-loading">
              Checking the PATH and the commands…
            </div>
          )
        )}
        {error && (
          <div className="banner banner-bad" role="alert" data-testid="diagnostics-error">
            <strong>Could not read the diagnostics</strong>
            <span className="banner-detail">{error}</span>
          </div>
        )}
      </section>
      {diagnostics && <PathPanel path={diagnostics.path} host={diagnostics.runtime.host} />}
      {diagnostics && <CommandsPanel commands={diagnostics.commands} host={diagnostics.runtime.host} />}
      {diagnostics?.proxy && <ProxyPanel proxy={diagnostics.proxy} />}
    </div>
  );
}
