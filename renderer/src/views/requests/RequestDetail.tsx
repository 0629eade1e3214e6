// One request in full, and what its worker printed around it: the first place to look when a
// request failed.

import { useMemo } from 'react';
import type { AccessRecord } from '../../../../shared/api.ts';
import { useDashboard } from '../../state/hooks.ts';
import { AnsiText } from '../../ui/AnsiText.tsx';
import { formatClock, formatMs, statusClass } from '../../ui/format.ts';
import { AROUND_MS, linesAround } from './request-filter.ts';

export function RequestDetail(props: { record: AccessRecord; onClose: () => void }) {
  const { record } = props;
  const logs = useDashboard((state) => state.logs);
  const version = useDashboard((state) => state.logsVersion);
  // Lines keep arriving for a couple of seconds after a request; the version brings them in.
  const lines = useMemo(() => linesAround(logs, record), [logs, record, version]);

  return (
    <aside className="panel request-detail" aria-label={`Request ${record.requestId}`} data-testid="request-detail">
      <header className="panel-header">
        <h3 className="mono">
          {record.method} {record.path}
        </h3>
        <button type="button" className="icon" aria-label="Close request details" onClick={props.onClose}>
          ×
        </button>
      </header>
      <dl className="facts">
        <dt>Status</dt>
        <dd className={`mono status-${statusClass(record.status)}`}>{record.status === 0 ? 'no status sent' : record.status}</dd>
        <dt>Arrived</dt>
        <dd className="mono">{formatClock(record.time)}</dd>
        <dt>Latency</dt>
        <dd className="mono">{formatMs(record.duration)}</dd>
        <dt>Route</dt>
        <dd className="mono">{record.route ?? 'no route matched'}</dd>
        <dt>Worker</dt>
        <dd className="mono">{record.worker ?? 'none reached'}</dd>
        <dt>Attempts</dt>
        <dd className="mono">{record.attempts}</dd>
        <dt>Bytes</dt>
        <dd className="mono">{record.bytes}</dd>
        <dt>Request id</dt>
        <dd className="mono">{record.requestId}</dd>
        {record.error && (
          <>
            <dt>Error</dt>
            <dd className="mono bad-text">{record.error}</dd>
          </>
        )}
      </dl>
      <h4>
        {record.worker ?? 'Worker'} log, ±{AROUND_MS / 1000} s
      </h4>
      {!record.worker ? (
        <p className="dim">No worker answered this request, so there is no worker log to show.</p>
      ) : lines.length === 0 ? (
        <p className="dim" data-testid="request-logs-empty">
          {record.worker} printed nothing within {AROUND_MS / 1000} s of this request (or those lines are no longer held).
        </p>
      ) : (
        <div className="request-logs mono">
          {lines.map((line) => (
            <div key={line.seq} className={`log-row static stream-${line.stream}`} data-testid="request-log-line">
              <span className="log-time">{formatClock(line.time)}</span>
              <span className="log-text">
                <AnsiText text={line.text} />
              </span>
            </div>
          ))}
        </div>
      )}
    </aside>
  );
}
