// Every supervised process, grouped the way the stack is built: proxy, static sites, tasks, then
// each app under its heading.

import { Fragment, useMemo } from 'react';
import { useDashboard } from '../../state/hooks.ts';
import { AppRow } from './AppRow.tsx';
import { ChildRows } from './ChildRows.tsx';
import { groupProcesses, ratesOf } from './process-model.ts';
import { ProcessRow } from './ProcessRow.tsx';

export function ProcessTable() {
  const processes = useDashboard((state) => state.processes);
  const status = useDashboard((state) => state.status);
  const traffic = useDashboard((state) => state.traffic);
  const groups = useMemo(() => groupProcesses(processes, status?.spec ?? null), [processes, status]);
  const rates = useMemo(() => ratesOf(traffic[traffic.length - 1]), [traffic]);
  // Before the first second of traffic there is no rate to show, not a rate of zero.
  const rate = (value: number | undefined) => (traffic.length === 0 ? undefined : (value ?? 0));

  if (processes.size === 0 && groups.apps.length === 0) {
    return (
      <div className="empty" data-testid="processes-empty">
        <h3>No processes</h3>
        <p>
          This stack runs nothing yet. Add an app or a static site to <code>{status?.file ?? 'switchyard.yaml'}</code>; saving the file applies it.
        </p>
      </div>
    );
  }

  return (
    <table className="grid processes" data-testid="process-table">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">State</th>
          <th scope="col">Health</th>
          <th scope="col" className="num">PID</th>
          <th scope="col" className="num">Port</th>
          <th scope="col" className="num">CPU %</th>
          <th scope="col" className="num">Mem MiB</th>
          <th scope="col" className="num">Restarts</th>
          <th scope="col" className="num">Uptime</th>
          <th scope="col" className="num">Req/s</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {groups.proxy && <ProcessRow process={groups.proxy} rate={rate(rates.total)} />}
        {groups.statics.map((site) => (
          <ProcessRow key={site.id} process={site} rate={rate(rates.byApp.get(site.name))} />
        ))}
        {groups.tasks.map((task) => (
          <ProcessRow key={task.id} process={task} rate={undefined} />
        ))}
      </tbody>
      {groups.apps.map((group) => (
        <tbody key={group.name} className="app-group">
          <AppRow group={group} rate={rate(rates.byApp.get(group.name))} />
          {group.workers.map((worker) => (
            <Fragment key={worker.id}>
              <ProcessRow process={worker} rate={rate(rates.byProcess.get(worker.name))} nested />
              <ChildRows process={worker} />
            </Fragment>
          ))}
        </tbody>
      ))}
    </table>
  );
}
