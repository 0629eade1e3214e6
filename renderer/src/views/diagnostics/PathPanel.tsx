// The PATH the stack's processes get: where it came from (a login shell, and how long asking it
// took, or inherited), what went wrong reading it, and its folders in search order.

import type { DiagnosticsPath, DiagnosticsRuntime } from '../../../../shared/api.ts';
import { useActions } from '../../app/context.ts';
import { copyText } from '../../ui/clipboard.ts';
import { formatMs } from '../../ui/format.ts';

function describeSource(path: DiagnosticsPath, host: DiagnosticsRuntime['host']): string {
  if (path.source === 'login-shell') return `Read from your login shell${path.shell ? ` ${path.shell}` : ''} in ${formatMs(path.durationMs)}`;
  return host === 'desktop' ? 'Inherited by the desktop app, not read from your login shell' : 'Inherited from the terminal that started Switchyard';
}

export function PathPanel(props: { path: DiagnosticsPath; host: DiagnosticsRuntime['host'] }) {
  const { path } = props;
  const { run, notify } = useActions();
  const missing = path.entries.filter((entry) => !entry.exists).length;
  const copy = () => run('Copy PATH', () => copyText(path.value)).then(() => notify('PATH copied'));
  return (
    <section className="panel" aria-label="PATH">
      <header className="panel-header">
        <h3>PATH</h3>
        <span className="dim" data-testid="path-source" data-source={path.source}>
          {describeSource(path, props.host)}
        </span>
        <span className="spacer" />
        <button type="button" aria-label="Copy PATH" data-testid="path-copy" onClick={() => void copy()}>
          Copy
        </button>
      </header>
      {path.problem !== null && (
        <div className="banner banner-warn" role="alert" data-testid="path-problem">
          <strong>PATH problem:</strong> <span>{path.problem}</span>
        </div>
      )}
      {path.entries.length === 0 ? (
        <div className="empty" data-testid="path-empty">
          The PATH is empty: only commands written as a path (like <code>./venv/bin/python</code>) can start.
        </div>
      ) : (
        <table className="grid compact" data-testid="path-entries">
          <thead>
            <tr>
              <th scope="col" className="num path-index">
                #
              </th>
              <th scope="col">Folder</th>
              <th scope="col" className="path-mark">
                {missing > 0 ? `${missing} missing` : 'All present'}
              </th>
            </tr>
          </thead>
          <tbody>
            {path.entries.map((entry, index) => (
              // The same folder may well be listed twice; its position is its identity.
              <tr key={index} data-testid="path-entry" data-exists={entry.exists} className={entry.exists ? undefined : 'path-missing'}>
                <td className="num mono dim">{index + 1}</td>
                <td className="mono">{entry.dir}</td>
                <td>{!entry.exists && <span className="state tone-busy">missing</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
