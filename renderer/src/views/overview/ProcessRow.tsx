// One supervised process run in the table: its state and numbers, and what can be done to it.
// A worker can be restarted, stopped or started, and killed; the proxy and a static site can be
// reloaded instead of killed; a task is run again. A process held by its depends_on says what it
// waits for (or what blocks it). Stop and kill ask first. During a reload the replacement (`new`) and
// the run it replaces (`leaving`) share a name, so their rows and actions go by run id.

import { formatRestarts, type ProcessInfo } from '../../../../shared/process.ts';
import { useActions, useClient } from '../../app/context.ts';
import { ActionButton } from '../../ui/ActionButton.tsx';
import { formatDuration, formatMiB, formatOrDash, formatPercent, formatRate } from '../../ui/format.ts';
import { useNow } from '../../ui/now.ts';
import { isLive, stateTone } from './process-model.ts';

export function ProcessRow(props: { process: ProcessInfo; rate: number | undefined; nested?: boolean }) {
  const { process, rate } = props;
  const { api } = useClient();
  const { run, notify } = useActions();
  const now = useNow();
  // The run that holds the name answers to it; a surge or leaving run to its own id.
  const name = process.role === 'member' ? process.name : process.id;
  const live = isLive(process.state);
  const uptime = live && process.startedAt !== null ? formatDuration(now - process.startedAt) : '—';
  const lastStderr = process.lastStderr.length > 0 && !live ? process.lastStderr[process.lastStderr.length - 1] : null;
  // A task that failed says how it ended and why, in its own words: that is what blocks its dependants.
  const trouble = process.kind === 'task' && process.state === 'crashed' && lastStderr ? `${process.reason ?? 'failed'}: ${lastStderr}` : (process.reason ?? lastStderr);

  const act = async (verb: string, call: () => Promise<unknown>, done: string, confirm?: { body: string }) => {
    const result = await run(`${verb} ${name}`, call, confirm && { title: `${verb} ${name}?`, body: confirm.body, confirmLabel: `${verb} ${name}` });
    if (result !== undefined) notify(done);
  };

  return (
    <tr data-process={name} data-role={process.role} data-state={process.state} className={`process-row tone-${stateTone(process.state)}${props.nested ? ' nested' : ''}`}>
      <th scope="row" className="name">
        <span className="mono">{process.name}</span>
        {process.role !== 'member' && <span className={`role role-${process.role}`} data-testid={`role-${name}`}>{process.role === 'surge' ? 'new' : 'leaving'}</span>}
        {process.kind !== 'worker' && <span className="kind">{process.kind}</span>}
        {trouble && (
          <div className="reason" data-testid={`reason-${name}`} title={process.lastStderr.join('\n') || undefined}>
            {trouble}
          </div>
        )}
        {process.warnings.map((warning) => (
          <div key={warning} className="warning" data-testid={`warning-${name}`} title={warning}>
            {warning}
          </div>
        ))}
      </th>
      <td>
        <span className={`state tone-${stateTone(process.state)}`} data-testid={`state-${name}`} data-state={process.state}>
          {process.state}
        </span>
      </td>
      <td>
        <span className={`health health-${process.health}`} data-testid={`health-${name}`} data-health={process.health}>
          {process.health}
        </span>
      </td>
      <td className="num mono" data-testid={`pid-${name}`}>
        {formatOrDash(process.pid)}
      </td>
      <td className="num mono" data-testid={`port-${name}`}>
        {formatOrDash(process.port)}
      </td>
      <td className="num mono" data-testid={`cpu-${name}`}>
        {live ? formatPercent(process.cpu) : '—'}
      </td>
      <td className="num mono" data-testid={`memory-${name}`}>
        {live ? formatMiB(process.memory) : '—'}
      </td>
      <td
        className={`num mono${process.restarts > 0 ? ' warn-text' : ''}`}
        data-testid={`restarts-${name}`}
        title={`${process.restarts} after a crash or hang, ${process.manualRestarts} asked for`}
      >
        {formatRestarts(process)}
      </td>
      <td className="num mono" data-testid={`uptime-${name}`}>
        {uptime}
      </td>
      <td className="num mono" data-testid={`rps-${name}`}>
        {formatRate(rate)}
      </td>
      <td className="actions">
        {process.kind === 'task' ? (
          <TaskActions name={name} live={live} act={act} />
        ) : (
          <div className="action-group">
            <ActionButton label={`Restart ${name}`} onRun={() => act('Restart', () => api.restart(name), `Restarted ${name}`)}>
              Restart
            </ActionButton>
            {process.kind !== 'worker' && (
              <ActionButton label={`Reload ${name}`} onRun={() => act('Reload', () => api.reload(name), `Reloaded ${name}`)}>
                Reload
              </ActionButton>
            )}
            {live ? (
              <ActionButton
                label={`Stop ${name}`}
                onRun={() =>
                  act('Stop', () => api.stop(name), `Stopped ${name}`, {
                    body:
                      process.kind === 'proxy'
                        ? 'Nothing answers on the proxy address until it is started again.'
                        : `${name} stops gracefully and stays stopped until you start it.`,
                  })
                }
              >
                Stop
              </ActionButton>
            ) : (
              <ActionButton label={`Start ${name}`} onRun={() => act('Start', () => api.start(name), `Started ${name}`)}>
                Start
              </ActionButton>
            )}
            {process.kind === 'worker' && (
              <ActionButton
                label={`Kill ${name}`}
                danger
                disabled={!live}
                onRun={() =>
                  act('Kill', () => api.kill(name), `Killed ${name}`, {
                    body: `Sends SIGKILL to ${name}${process.pid ? ` (pid ${process.pid})` : ''}, as a crash would; its restart policy then applies.`,
                  })
                }
              >
                Kill
              </ActionButton>
            )}
          </div>
        )}
      </td>
    </tr>
  );
}

type Act = (verb: string, call: () => Promise<unknown>, done: string, confirm?: { body: string }) => Promise<void>;

/** A task is run again (a re-run stops a run still going first); its waiting dependants start once it completes. */
function TaskActions(props: { name: string; live: boolean; act: Act }) {
  const { name, live, act } = props;
  const { api } = useClient();
  return (
    <div className="action-group">
      <ActionButton label={`Run ${name} again`} onRun={() => act('Run', () => api.restart(name), `Running ${name} again`)}>
        Run again
      </ActionButton>
      {live && (
        <ActionButton label={`Stop ${name}`} onRun={() => act('Stop', () => api.stop(name), `Stopped ${name}`, { body: `${name} is stopped before it completes; what waits for it keeps waiting.` })}>
          Stop
        </ActionButton>
      )}
    </div>
  );
}
