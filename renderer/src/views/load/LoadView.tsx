// "Send N requests/s to PATH for T s": a bounded load test against the stack's own proxy, with
// its progress live, to watch balancing, reloads and failures under traffic.

import { useMemo, useState } from 'react';
import type { FormEvent } from 'react';
import { LOAD_LIMITS } from '../../../../shared/api.ts';
import { useActions, useClient } from '../../app/context.ts';
import { useDashboard, useStore } from '../../state/hooks.ts';
import { ActionButton } from '../../ui/ActionButton.tsx';
import { formatClock, formatCount } from '../../ui/format.ts';
import type { LoadForm } from './load-form.ts';
import { validateLoadForm } from './load-form.ts';
import { LoadProgressPanel } from './LoadProgressPanel.tsx';

export function LoadView() {
  const { api } = useClient();
  const { run } = useActions();
  const store = useStore();
  const loads = useDashboard((state) => state.loads);
  const status = useDashboard((state) => state.status);
  const runs = useMemo(() => [...loads.values()].sort((a, b) => b.startedAt - a.startedAt), [loads]);
  const current = runs[0];
  // The last run's figures are the likeliest next ones; else the first route, gently.
  const [form, setForm] = useState<LoadForm>(() =>
    current
      ? { method: current.spec.method ?? 'GET', path: current.spec.path, rate: String(current.spec.rate), duration: String(current.spec.duration) }
      : { method: 'GET', path: status?.spec.proxy?.routes[0]?.path ?? '/', rate: '50', duration: '10' },
  );
  const [checked, setChecked] = useState(false);
  const [starting, setStarting] = useState(false);
  const { spec, errors } = validateLoadForm(form);
  const shown = checked ? errors : {};
  const running = current?.state === 'running';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (!spec || running) return;
    setStarting(true);
    try {
      const progress = await run('Start load test', () => api.loadTest(spec));
      if (progress) store.recordLoad(progress);
    } finally {
      setStarting(false);
    }
  };
  const edit = (field: keyof LoadForm) => (event: { target: { value: string } }) => setForm((current) => ({ ...current, [field]: event.target.value }));

  return (
    <div className="view load" data-testid="view-load">
      <form className="panel load-form" onSubmit={(event) => void submit(event)} noValidate aria-label="Load test">
        <div className="sentence">
          <span>Send</span>
          <input
            className="mono narrow"
            inputMode="numeric"
            aria-label="Requests per second"
            aria-invalid={shown.rate ? true : undefined}
            value={form.rate}
            onChange={edit('rate')}
            data-testid="load-rate"
          />
          <span>requests/s of</span>
          <select aria-label="Method" value={form.method} onChange={edit('method')} data-testid="load-method">
            <option>GET</option>
            <option>HEAD</option>
            <option>POST</option>
          </select>
          <span>to</span>
          <input className="mono" aria-label="Path" aria-invalid={shown.path ? true : undefined} value={form.path} onChange={edit('path')} data-testid="load-path" spellCheck={false} />
          <span>for</span>
          <input
            className="mono narrow"
            inputMode="numeric"
            aria-label="Duration in seconds"
            aria-invalid={shown.duration ? true : undefined}
            value={form.duration}
            onChange={edit('duration')}
            data-testid="load-duration"
          />
          <span>s</span>
          <button type="submit" className="primary" disabled={starting || running} data-testid="load-start">
            Start load test
          </button>
          {running && current && (
            <ActionButton label="Stop load test" danger testId="load-stop" onRun={() => run('Stop load test', () => api.stopLoadTest(current.id)).then((progress) => progress && store.recordLoad(progress))}>
              Stop
            </ActionButton>
          )}
        </div>
        {Object.entries(shown).map(([field, message]) => (
          <p key={field} className="field-error" role="alert" data-testid={`load-error-${field}`}>
            {message}
          </p>
        ))}
        <p className="dim hint">
          Requests go to this stack&apos;s proxy only; at most {formatCount(LOAD_LIMITS.maxRate)}/s for {LOAD_LIMITS.maxDuration} s, {LOAD_LIMITS.maxConcurrency} in flight.
          Requests that cannot be sent because too many are waiting are counted as skipped.
        </p>
      </form>
      {current ? (
        <LoadProgressPanel progress={current} />
      ) : (
        <div className="empty" data-testid="load-empty">
          <p>No load test has run yet. Start one and watch the Overview&apos;s topology and the Metrics while it runs.</p>
        </div>
      )}
      {runs.length > 1 && (
        <section className="panel" aria-label="Earlier load tests">
          <h3 className="panel-title">Earlier runs</h3>
          <table className="grid compact">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Request</th>
                <th scope="col" className="num">Sent</th>
                <th scope="col" className="num">Failed</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {runs.slice(1, 6).map((load) => (
                <tr key={load.id}>
                  <td className="mono">{formatClock(load.startedAt)}</td>
                  <td className="mono">
                    {load.spec.method ?? 'GET'} {load.spec.path} · {load.spec.rate}/s · {load.spec.duration} s
                  </td>
                  <td className="num mono">{formatCount(load.sent)}</td>
                  <td className={`num mono${load.failed > 0 ? ' bad-text' : ''}`}>{formatCount(load.failed)}</td>
                  <td>{load.state}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
