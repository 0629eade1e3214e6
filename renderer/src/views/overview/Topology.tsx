// The stack as a graph (React Flow): where a request goes and how many go there each second.

import { Background, Controls, ReactFlow } from '@xyflow/react';
import type { Edge } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useMemo } from 'react';
import { useDashboard, useStore } from '../../state/hooks.ts';
import { formatRate } from '../../ui/format.ts';
import { useTheme } from '../../ui/theme.ts';
import { groupProcesses, ratesOf } from './process-model.ts';
import { buildTopology, routeRates } from './topology-graph.ts';
import type { TopologyFlowNode } from './TopologyNode.tsx';
import { TopologyNode } from './TopologyNode.tsx';

const NODE_TYPES = { stack: TopologyNode };
const ROW = 56;

export function Topology() {
  const store = useStore();
  const processes = useDashboard((state) => state.processes);
  const status = useDashboard((state) => state.status);
  const traffic = useDashboard((state) => state.traffic);
  const theme = useTheme();
  const last = traffic[traffic.length - 1];

  const graph = useMemo(() => {
    const spec = status?.spec ?? null;
    const rates = last ? ratesOf(last) : null;
    // Recomputed once a second at most: traffic samples are what change it.
    return buildTopology(spec, groupProcesses(processes, spec), rates, routeRates(store.getState().access, last));
  }, [status, processes, last, store]);

  const nodes = useMemo<TopologyFlowNode[]>(
    () =>
      graph.nodes.map((node) => ({
        id: node.id,
        type: 'stack',
        position: { x: node.x, y: node.y },
        data: { graph: node },
        draggable: false,
        selectable: false,
        connectable: false,
      })),
    [graph],
  );
  const edges = useMemo<Edge[]>(
    () =>
      graph.edges.map((edge) => ({
        id: edge.id,
        source: edge.source,
        target: edge.target,
        label: edge.rate === null ? undefined : `${formatRate(edge.rate)}/s`,
        animated: (edge.rate ?? 0) > 0 && !edge.draining,
        className: edge.draining ? 'edge-draining' : (edge.rate ?? 0) > 0 ? 'edge-busy' : 'edge-idle',
        selectable: false,
        focusable: false,
      })),
    [graph],
  );

  if (graph.nodes.length === 0) return null;
  const height = Math.min(560, Math.max(200, graph.rows * ROW + 60));
  return (
    <section className="panel topology" aria-label="Topology" data-testid="topology" style={{ height }}>
      {/* A new shape (workers added or removed) fits the view afresh; rates alone keep it. */}
      <ReactFlow
        key={graph.shape}
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        colorMode={theme}
        fitView
        fitViewOptions={{ padding: 0.12 }}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        zoomOnScroll={false}
        preventScrolling={false}
        minZoom={0.3}
        maxZoom={1.5}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} size={1} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </section>
  );
}
