// The first view: every process with its numbers and actions, and the graph of the stack.

import { ConfigNotice } from './ConfigNotice.tsx';
import { ProcessTable } from './ProcessTable.tsx';
import { Topology } from './Topology.tsx';

export function Overview() {
  return (
    <div className="view overview" data-testid="view-overview">
      <ConfigNotice />
      <section className="panel" aria-label="Processes">
        <ProcessTable />
      </section>
      <Topology />
    </div>
  );
}
