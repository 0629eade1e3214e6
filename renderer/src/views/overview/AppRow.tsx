// An app's heading in the process table: how many workers are ready, its traffic, and the
// actions on all its workers at once (restart, rolling reload, stop or start, scale).

import { useActions, useClient } from '../../app/context.ts';
import { ActionButton } from '../../ui/ActionButton.tsx';
import { formatRate } from '../../ui/format.ts';
import type { AppGroup } from './process-model.ts';
import { activeWorkers, isLive } from './process-model.ts';

export function AppRow(props: { group: AppGroup; rate: number | undefined }) {
  const { group } = props;
  const name = group.name;
  const { api } = useClient();
  const { run, notify } = useActions();
  const ready = group.workers.filter((worker) => worker.state === 'ready').length;
  const size = activeWorkers(group);
  const anyLive = group.workers.some((worker) => isLive(worker.state));
  const anyDown = group.workers.some((worker) => !isLive(worker.state));
  const tone = group.workers.length === 0 ? 'idle' : ready === size ? 'good' : ready === 0 ? 'bad' : 'busy';

  const scaleTo = async (replicas: number) => {
    const down = replicas < size;
    const names = await run(
      `Scale ${name} to ${replicas}`,
      () => api.scale(name, replicas),
      down
        ? {
            title: `Scale ${name} down to ${replicas}?`,
            body: `${size - replicas === 1 ? 'One worker is' : `${size - replicas} workers are`} drained (in-flight requests finish) and removed.`,
            confirmLabel: `Scale ${name} to ${replicas}`,
          }
        : undefined,
    );
    if (names) notify(`${name}: ${names.length} worker${names.length === 1 ? '' : 's'}`);
  };

  const reload = () => run(`Reload ${name}`, () => api.reload(name)).then((names) => names && notify(`Reloaded ${name}: ${names.join(', ')}`));
  // A restart stops every worker at once, so the app answers 503 until they are back: Reload is offered beside it.
  const restart = () => {
    const all = size === 1 ? 'its worker' : `all ${size} workers`;
    return run(`Restart ${name}`, () => api.restart(name), {
      title: `Restart ${all} of ${name} at once?`,
      body: `Restart takes ${all} of ${name} down at the same time: its routes answer 503 until ${size === 1 ? 'it is' : 'they are'} ready again. Reload replaces them one by one, each new worker healthy before an old one stops, with no failed request.`,
      confirmLabel: `Restart ${name}`,
      alternative: { label: `Reload ${name} (no downtime)`, choose: () => void reload() },
    }).then((names) => names && notify(`Restarted ${names.join(', ')}`));
  };

  return (
    <tr className={`app-row tone-${tone}`} data-app={name}>
      <th scope="row" className="name" colSpan={2}>
        <span className="mono app-name">{name}</span>
        <span className="kind">app</span>
        <span className={`ready-count tone-${tone}`} data-testid={`ready-${name}`}>
          {ready}/{size} ready
        </span>
      </th>
      <td colSpan={7} className="dim app-command mono" title={group.spec?.argv.join(' ')}>
        {group.spec ? group.spec.argv.join(' ') : ''}
      </td>
      <td className="num mono" data-testid={`rps-${name}`}>
        {formatRate(props.rate)}
      </td>
      <td className="actions">
        <div className="action-group">
          <ActionButton label={`Restart ${name}`} onRun={restart}>
            Restart
          </ActionButton>
          <ActionButton label={`Reload ${name}`} onRun={reload}>
            Reload
          </ActionButton>
          {anyLive && (
            <ActionButton
              label={`Stop ${name}`}
              onRun={() =>
                run(`Stop ${name}`, () => api.stop(name), {
                  title: `Stop ${name}?`,
                  body: `Every worker of ${name} is drained and stopped; its routes answer 503 until it is started again.`,
                  confirmLabel: `Stop ${name}`,
                }).then((names) => names && notify(`Stopped ${names.join(', ')}`))
              }
            >
              Stop
            </ActionButton>
          )}
          {anyDown && (
            <ActionButton label={`Start ${name}`} onRun={() => run(`Start ${name}`, () => api.start(name)).then((names) => names && notify(`Started ${names.join(', ')}`))}>
              Start
            </ActionButton>
          )}
          <span className="scale" role="group" aria-label={`Scale ${name}`}>
            <ActionButton label={`Scale ${name} down`} disabled={size === 0} onRun={() => scaleTo(size - 1)} testId={`scale-down-${name}`}>
              −
            </ActionButton>
            <span className="mono scale-count" data-testid={`replicas-${name}`}>
              {size}
            </span>
            <ActionButton label={`Scale ${name} up`} onRun={() => scaleTo(size + 1)} testId={`scale-up-${name}`}>
              +
            </ActionButton>
          </span>
        </div>
      </td>
    </tr>
  );
}
