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

  it("hangs a pre-fork master's children off its worker, each with pid, CPU, memory and uptime", () => {
    const child = (pid: number) => ({ pid, ppid: 2005, command: 'gunicorn', cpu: 0.5, memory: 25 * 1048576, startedAt: 1000 });
    const processes = stackProcesses().map((process) => (process.name === 'api-1' ? { ...process, pid: 2005, children: [child(3001), child(3002), child(3003)] } : process));
    const spec = stackSpec();
    const graph = buildTopology(spec, groupProcesses(new Map(processes.map((p) => [p.name, p])), spec), null, new Map(), 62_000);
    const children = graph.nodes.filter((node) => node.kind === 'child');
    expect(children.map((node) => [node.ref, node.title, node.detail])).toEqual([3001, 3002, 3003].map((pid) => [`api-1:${pid}`, `pid ${pid}`, '0.5% · 25.0 MiB · 1m 01s']));
    expect(graph.edges.filter((edge) => edge.source === 'worker:api-1').map((edge) => edge.target)).toEqual(children.map((node) => node.id));
    expect(graph.nodes.find((node) => node.id === 'worker:api-1')?.forks).toBe(true);
    // The worker sits beside the middle of its three children; the next worker below them.
    const y = (id: string) => graph.nodes.find((node) => node.id === id)?.y;
    expect(y('worker:api-1')).toBe(y('child:api-1:3002'));
    expect(y('worker:api-2')).toBeGreaterThan(y('child:api-1:3003') ?? Infinity);
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
