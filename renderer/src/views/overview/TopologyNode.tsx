// One box of the topology: a title, a line of detail, coloured by tone, with handles on the sides
// its edges attach to.

import { Handle, Position } from '@xyflow/react';
import type { Node, NodeProps } from '@xyflow/react';
import type { GraphNode } from './topology-graph.ts';

export type TopologyFlowNode = Node<{ graph: GraphNode }, 'stack'>;

export function TopologyNode(props: NodeProps<TopologyFlowNode>) {
  const node = props.data.graph;
  return (
    <div className={`topo-node kind-${node.kind} tone-${node.tone}`} data-testid={`topology-node-${node.ref}`} data-tone={node.tone} data-state={node.state} title={`${node.title} · ${node.detail}`}>
      {node.kind !== 'client' && <Handle type="target" position={Position.Left} isConnectable={false} />}
      <div className="topo-title mono">{node.title}</div>
      {node.detail && <div className="topo-detail">{node.detail}</div>}
      {(node.kind === 'worker' ? node.forks === true : node.kind !== 'child') && <Handle type="source" position={Position.Right} isConnectable={false} />}
    </div>
  );
}
