// A load test's figures as they come: big counters (failed turns red at the first failure),
// latency, answers by status class and the last errors.

import type { LoadProgress } from '../../../../shared/api.ts';
import { formatCount, formatMs } from '../../ui/format.ts';
import { Counter } from './Counter.tsx';

const CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error'];

export function LoadProgressPanel(props: { progress: LoadProgress }) {
  const { progress } = props;
  const fraction = Math.min(1, progress.elapsed / progress.spec.duration);
  return (
    <section className="panel load-progress" aria-label="Load test progress" data-testid="load-progress" data-load-id={progress.id} data-state={progress.state}>
      <header className="panel-header">
        <h3 className="mono">
          {progress.spec.method ?? 'GET'} {progress.spec.path} · {progress.spec.rate}/s · {progress.spec.duration} s
        </h3>
        <span className={`pill pill-${progress.state}`} data-testid="load-state">
          {progress.state}
        </span>
      </header>
      <div className="progress-bar" role="progressbar" aria-label="Elapsed" aria-valuemin={0} aria-valuemax={progress.spec.duration} aria-valuenow={Math.round(progress.elapsed)}>
        <div style={{ width: `${fraction * 100}%` }} />
      </div>
      <div className="counters">
        <Counter label="sent" value={progress.sent} testId="load-sent" />
        <Counter label="ok" value={progress.ok} testId="load-ok" tone={progress.ok > 0 ? 'good' : undefined} />
        <Counter label="failed" value={progress.failed} testId="load-failed" tone={progress.failed > 0 ? 'bad' : undefined} />
        <Counter label="skipped" value={progress.skipped} testId="load-skipped" tone={progress.skipped > 0 ? 'warn' : undefined} />
        <div className="counter">
          <div className="counter-value mono" data-testid="load-p50">
            {formatMs(progress.p50)}
          </div>
          <div className="counter-label">p50</div>
        </div>
        <div className="counter">
          <div className="counter-value mono" data-testid="load-p99">
            {formatMs(progress.p99)}
          </div>
          <div className="counter-label">p99</div>
        </div>
      </div>
      <div className="status-classes mono" data-testid="load-statuses">
        {CLASSES.filter((kind) => (progress.statuses[kind] ?? 0) > 0).map((kind) => (
          <span key={kind} className={`status-chip status-${kind}`} data-testid={`load-status-${kind}`}>
            {kind === 'error' ? 'no answer' : kind} {formatCount(progress.statuses[kind] ?? 0)}
          </span>
        ))}
      </div>
      {progress.skipped > 0 && <p className="warn-text">Skipped requests mean the stack answers slower than the rate: too many were still waiting.</p>}
      {progress.errors.length > 0 && (
        <div className="load-errors">
          <h4>Last errors</h4>
          <ul className="mono" data-testid="load-errors">
            {progress.errors.map((error, index) => (
              <li key={index}>{error}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
