// The stack as its file describes it: where the file is, its routes and apps, the outcome of the
// last change, and the stack-wide actions (read the file again, restart everything, shut down).

import { useActions, useClient } from '../../app/context.ts';
import { useDashboard, useStore } from '../../state/hooks.ts';
import { ActionButton } from '../../ui/ActionButton.tsx';
import { formatClock, formatDuration, formatSpan } from '../../ui/format.ts';
import { useNow } from '../../ui/now.ts';
import { ConfigNotice } from '../overview/ConfigNotice.tsx';

export function StackView() {
  const { api } = useClient();
  const { run, notify } = useActions();
  const store = useStore();
  const status = useDashboard((state) => state.status);
  const now = useNow();
  if (!status) return null;
  const spec = status.spec;

  const reloadFile = async () => {
    const outcome = await run('Reload stack file', () => api.reloadStackFile());
    if (!outcome) return;
    store.recordConfig(outcome);
    notify(outcome.applied ? `Stack file applied${outcome.changes.length ? `: ${outcome.changes.length} change(s)` : ', nothing changed'}` : 'Stack file refused', outcome.applied ? 'info' : 'error');
  };

  return (
    <div className="view stack" data-testid="view-stack">
      <section className="panel" aria-label="Stack">
        <header className="panel-header">
          <h3>{status.name}</h3>
          <span className="spacer" />
          <ActionButton label="Reload stack file" onRun={reloadFile} testId="reload-stack-file">
            Reload stack file
          </ActionButton>
          <ActionButton
            label="Restart all"
            onRun={() =>
              run('Restart all', () => api.restart('all'), {
                title: 'Restart every process?',
                body: 'The proxy, the static sites and every worker restart; requests fail while they come back.',
                confirmLabel: 'Restart all',
              }).then((names) => names && notify(`Restarted ${names.length} processes`))
            }
          >
            Restart all
          </ActionButton>
          <ActionButton
            label="Shut down stack"
            danger
            testId="shutdown"
            onRun={() =>
              run('Shut down', () => api.shutdown(), {
                title: `Shut down ${status.name}?`,
                body: 'Every process stops gracefully and `switchyard up` exits; this page then loses its connection.',
                confirmLabel: 'Shut down',
              })
            }
          >
            Shut down
          </ActionButton>
        </header>
        <dl className="facts">
          <dt>Stack file</dt>
          <dd className="mono" data-testid="stack-file">
            {status.file}
          </dd>
          <dt>Core pid</dt>
          <dd className="mono">{status.pid}</dd>
          <dt>Up since</dt>
          <dd className="mono">
            {formatClock(status.startedAt)} ({formatDuration(now - status.startedAt)})
          </dd>
          <dt>Proxy</dt>
          <dd className="mono">{spec.proxy ? `${spec.proxy.listen.host}:${spec.proxy.listen.port}` : 'none'}</dd>
        </dl>
        <p className="dim panel-note">Saving the stack file applies it by itself; a change that does not validate is refused and the running stack kept.</p>
      </section>
      <ConfigNotice showApplied />
      {spec.proxy && (
        <section className="panel" aria-label="Routes">
          <h3 className="panel-title">Routes</h3>
          <table className="grid compact" data-testid="routes">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Path</th>
                <th scope="col">To</th>
                <th scope="col">Strip prefix</th>
                <th scope="col" className="num">Timeout</th>
              </tr>
            </thead>
            <tbody>
              {spec.proxy.routes.map((route) => (
                <tr key={`${route.host ?? ''}${route.path}`}>
                  <td className="mono">{route.host ?? '*'}</td>
                  <td className="mono">{route.path}</td>
                  <td className="mono">
                    {route.to} <span className="dim">({route.target})</span>
                  </td>
                  <td>{route.stripPrefix ? 'yes' : 'no'}</td>
                  <td className="num mono">{formatSpan(route.timeout)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <section className="panel" aria-label="Apps">
        <h3 className="panel-title">Apps and sites</h3>
        <table className="grid compact" data-testid="apps">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Command</th>
              <th scope="col" className="num">Replicas</th>
              <th scope="col">Health</th>
              <th scope="col">Balance</th>
              <th scope="col">Restart</th>
              <th scope="col">Watch</th>
            </tr>
          </thead>
          <tbody>
            {spec.apps.map((app) => (
              <tr key={app.name}>
                <td className="mono">{app.name}</td>
                <td className="mono ellipsis" title={`${app.cwd}$ ${app.argv.join(' ')}`}>
                  {app.argv.join(' ')}
                </td>
                <td className="num mono">{app.replicas}</td>
                <td className="mono">{app.health.path ?? 'tcp'} every {formatSpan(app.health.interval)}</td>
                <td>{app.balance}</td>
                <td>{app.restart}</td>
                <td className="mono">{app.watch.join(', ') || '—'}</td>
              </tr>
            ))}
            {spec.statics.map((site) => (
              <tr key={site.name}>
                <td className="mono">{site.name}</td>
                <td className="mono ellipsis" title={site.root}>
                  static {site.root}
                  {site.spa ? ' (SPA)' : ''}
                </td>
                <td className="num mono">1</td>
                <td className="dim">—</td>
                <td className="dim">—</td>
                <td className="dim">—</td>
                <td className="dim">—</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
