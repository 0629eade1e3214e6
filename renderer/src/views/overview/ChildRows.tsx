// The processes a worker's process forked (a gunicorn master's workers, a Node cluster's), each a
// row under the worker with its own pid, CPU, memory and uptime. A re-forked child shows as a new
// pid with a young uptime, and the worker's log says which one went and which came.

import type { ProcessInfo } from '../../../../shared/process.ts';
import { formatDuration, formatMiB, formatPercent } from '../../ui/format.ts';
import { useNow } from '../../ui/now.ts';

export function ChildRows(props: { process: ProcessInfo }) {
  const { process } = props;
  const now = useNow();
  const depth = new Map<number, number>([[process.pid ?? -1, 0]]);
  return (
    <>
      {process.children.map((child) => {
        const level = (depth.get(child.ppid) ?? 0) + 1;
        depth.set(child.pid, level);
        return (
          <tr key={child.pid} className="child-row" data-child={child.pid} data-parent={process.name}>
            <th scope="row" className="name" style={{ paddingLeft: `${26 + level * 14}px` }}>
              <span className="child-mark" aria-hidden="true">
                └
              </span>{' '}
              <span className="kind">child</span>
              {child.command && (
                <div className="reason" title={child.command}>
                  {child.command}
                </div>
              )}
            </th>
            <td />
            <td />
            <td className="num mono" data-testid={`child-pid-${child.pid}`}>
              {child.pid}
            </td>
            <td />
            <td className="num mono" data-testid={`child-cpu-${child.pid}`}>
              {formatPercent(child.cpu)}
            </td>
            <td className="num mono" data-testid={`child-memory-${child.pid}`}>
              {formatMiB(child.memory)}
            </td>
            <td />
            <td className="num mono" data-testid={`child-uptime-${child.pid}`}>
              {formatDuration(now - child.startedAt)}
            </td>
            <td />
            <td />
          </tr>
        );
      })}
    </>
  );
}
