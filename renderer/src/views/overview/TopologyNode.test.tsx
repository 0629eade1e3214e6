// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { ReactFlowProvider } from '@xyflow/react';
import type { NodeProps } from '@xyflow/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import type { GraphNode } from './topology-graph.ts';
import type { TopologyFlowNode } from './TopologyNode.tsx';
import { TopologyNode } from './TopologyNode.tsx';

installDom();

function props(graph: GraphNode): NodeProps<TopologyFlowNode> {
  return { id: graph.id, data: { graph }, type: 'stack' } as unknown as NodeProps<TopologyFlowNode>;
}

describe('TopologyNode', () => {
  it('shows a worker with its state and tone, with only an incoming handle', () => {
    const worker: GraphNode = { id: 'worker:api-2', kind: 'worker', x: 0, y: 0, title: 'api-2', detail: 'draining · 4242', tone: 'draining', ref: 'api-2', state: 'draining' };
    render(
      <ReactFlowProvider>
        <TopologyNode {...props(worker)} />
      </ReactFlowProvider>,
    );
    const node = screen.getByTestId('topology-node-api-2');
    expect(node.className).toContain('tone-draining');
    expect(node.textContent).toBe('api-2draining · 4242');
    expect(node.querySelectorAll('.react-flow__handle')).toHaveLength(1);
  });

  it('gives a worker that forked an outgoing handle for its children, and a child only an incoming one', () => {
    const worker: GraphNode = { id: 'worker:api-1', kind: 'worker', x: 0, y: 0, title: 'api-1', detail: 'ready · 4242', tone: 'good', ref: 'api-1', state: 'ready', forks: true };
    const child: GraphNode = { id: 'child:api-1:4300', kind: 'child', x: 0, y: 0, title: 'pid 4300', detail: '0.5% · 25.0 MiB · 3s', tone: 'good', ref: 'api-1:4300' };
    render(
      <ReactFlowProvider>
        <TopologyNode {...props(worker)} />
        <TopologyNode {...props(child)} />
      </ReactFlowProvider>,
    );
    expect(screen.getByTestId('topology-node-api-1').querySelectorAll('.react-flow__handle')).toHaveLength(2);
    expect(screen.getByTestId('topology-node-api-1:4300').querySelectorAll('.react-flow__handle')).toHaveLength(1);
    expect(screen.getByTestId('topology-node-api-1:4300').textContent).toBe('pid 43000.5% · 25.0 MiB · 3s');
  });
});
