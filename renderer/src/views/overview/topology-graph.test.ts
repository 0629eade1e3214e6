import { describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../../../shared/process.ts';
import { Ring } from '../../state/ring.ts';
import { accessRecord, appTraffic, processInfo, stackProcesses, stackSpec, trafficSample } from '../../testing/fixtures.ts';
import { groupProcesses, ratesOf } from './process-model.ts';
import { buildTopology, routeRates } from './topology-graph.ts';

function graphOf(processes: ProcessInfo[], sample = trafficSample(1000, { api: appTraffic({ requests: 9, workers: { 'api-1': 4, 'api-2': 5 } }) })) {
  const spec = stackSpec();
  const groups = groupProcesses(new Map(processes.map((process) => [process.name, process])), spec);
  return buildTopology(spec, groups, ratesOf(sample), new Map([['/api/', 9]]));
}

describe('buildTopology', () => {
  it('links client → proxy → routes → targets → workers', () => {
    const graph = graphOf(stackProcesses());
    expect(graph.edges.map((edge) => `${edge.source}->${edge.target}`)).toEqual([
      'client->proxy',
      'proxy->route:0',
      'route:0->target:api',
      'target:api->worker:api-1',
      'target:api->worker:api-2',
      'proxy->route:1',
      'route:1->target:web',
    ]);
  });

  it('labels edges with requests per second and marks draining workers', () => {
    const processes = stackProcesses().map((process) => (process.name === 'api-2' ? { ...process, state: 'draining' as const } : process));
    const graph = graphOf(processes);
    const edge = (id: string) => graph.edges.find((each) => each.id === id);
    expect(edge('client->proxy')?.rate).toBe(9);
    expect(edge('proxy->route:0')?.rate).toBe(9);
    expect(edge('target:api->worker:api-1')?.rate).toBe(4);
    expect(edge('target:api->worker:api-2')).toMatchObject({ rate: 5, draining: true });
    expect(graph.nodes.find((node) => node.id === 'worker:api-2')?.tone).toBe('draining');
    // The app counts only serving workers.
    expect(graph.nodes.find((node) => node.id === 'target:api')?.detail).toBe('app · 1/1 ready');
  });

  it('colours a ready worker whose health checks fail as bad', () => {
    const processes = [...stackProcesses().slice(0, 3), processInfo('api-2', { health: 'failing' })];
    expect(graphOf(processes).nodes.find((node) => node.ref === 'api-2')?.tone).toBe('bad');
  });

  it('keeps the same shape when only rates change', () => {
    const one = graphOf(stackProcesses());
    const two = graphOf(stackProcesses(), trafficSample(2000, {}));
    expect(two.shape).toBe(one.shape);
    expect(graphOf(stackProcesses().slice(0, 3)).shape).not.toBe(one.shape);
  });
});

describe('routeRates', () => {
  it('counts the requests of each route that finished within the sample second', () => {
    const ring = new Ring<ReturnType<typeof accessRecord>>(10);
    ring.push(accessRecord({ time: 500, duration: 100, route: '/api/' }));
    ring.push(accessRecord({ time: 1200, duration: 10, route: '/api/' }));
    ring.push(accessRecord({ time: 1300, duration: 10, route: '/' }));
    ring.push(accessRecord({ time: 1900, duration: 200, route: '/api/' }));
    expect(routeRates(ring, trafficSample(1000, {}))).toEqual(new Map([['/api/', 1], ['/', 1]]));
  });
});
