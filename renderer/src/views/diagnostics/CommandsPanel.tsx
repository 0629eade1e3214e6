// Where each app's program resolves on the PATH it is started with. One not found is the classic
// failure of an app started from the desktop rather than a terminal.

import type { CommandResolution, DiagnosticsRuntime } from '../../../../shared/api.ts';

/** A program written as a path is looked for from the app's folder, not on the PATH. */
function isPath(command: string): boolean {
  return /[\\/]/.test(command);
}

export function CommandsPanel(props: { commands: CommandResolution[]; host: DiagnosticsRuntime['host'] }) {
  const { commands } = props;
  const notFound = commands.filter((command) => command.resolved === null);
  return (
    <section className="panel" aria-label="Commands">
      <h3 className="panel-title">Commands</h3>
      {commands.length === 0 ? (
        <div className="empty" data-testid="commands-empty">
          This stack has no apps; the proxy and the static sites run on Switchyard's own Node.
        </div>
      ) : (
        <table className="grid compact" data-testid="commands">
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Command</th>
              <th scope="col">Resolves to</th>
            </tr>
          </thead>
          <tbody>
            {commands.map((command) => (
              <tr
                key={command.app}
                data-testid={`command-${command.app}`}
                data-resolved={command.resolved !== null}
                className={command.resolved === null ? 'command-missing' : undefined}
              >
                <td className="mono">{command.app}</td>
                <td className="mono">{command.command}</td>
                <td className="mono">
                  {command.resolved ?? (
                    <span className="state tone-bad">{isPath(command.command) ? 'not found or not executable' : 'not found on PATH'}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {notFound.some((command) => !isPath(command.command)) && (
        <p className="panel-note commands-hint" role="alert" data-testid="commands-hint">
          {props.host === 'desktop'
            ? "Not found on the desktop app's PATH: start Switchyard from a terminal, or set the command's full path in switchyard.yaml."
            : "Not found on PATH: install it, or set the command's full path in switchyard.yaml."}
        </p>
      )}
      {notFound.some((command) => isPath(command.command)) && (
        <p className="panel-note commands-hint" role="alert" data-testid="commands-path-hint">
          A command written as a path is looked for from its app's folder (cwd): fix the path in switchyard.yaml, or make the file executable.
        </p>
      )}
    </section>
  );
}
