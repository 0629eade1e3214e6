// The stack as a left-to-right graph: client → proxy → routes → static sites and apps → workers →
// the processes a worker forked (a pre-fork master's children), laid out in columns by hand (the shape is always the same, so no layout engine is needed).
// Edges carry the requests per second of the last traffic sample.

import type { AccessRecord } from '../../../../shared/api.ts';
import type { TrafficSample } from '../../../../shared/events.ts';
import type { ProcessInfo } from '../../../../shared/process.ts';
import type { RouteSpec, StackSpec } from '../../../../shared/stack.ts';
import type { Ring } from '../../state/ring.ts';
import { formatDuration, formatMiB, formatPercent } from '../../ui/format.ts';
import type { Rates, StackGroups } from './process-model.ts';
import { stateTone } from './process-model.ts';

export type Tone = 'good' | 'busy' | 'bad' | 'idle' | 'draining' | 'neutral';

export interface GraphNode {
  id: string;
  kind: 'client' | 'proxy' | 'route' | 'target' | 'worker' | 'child';
  x: number;
  y: number;
  title: string;
  detail: string;
  tone: Tone;
  /** The process name or target a test or a click refers to. */
  ref: string;
  state?: string;
  /** A worker whose process forked children: they hang off it. */
  forks?: boolean;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  /** Requests per second, or null when there is no sample yet. */
  rate: number | null;
  draining: boolean;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Rows the tallest column needs, for the canvas height. */
  rows: number;
  /** Changes only when nodes come or go, so a redraw keeps the viewport otherwise. */
  shape: string;
}

const COLUMN = { client: 0, proxy: 170, route: 360, target: 560, worker: 780, child: 1000 };
const ROW = 56;

/** A route's key as access events name it: `host/path` with a host, else the path. */
export function routeKey(route: Pick<RouteSpec, 'host' | 'path'>): string {
  return route.host ? `${route.host}${route.path}` : route.path;
}

/**
 * Requests per route in the second of `sample`, counted from the access records (traffic samples
 * count by app, and two routes may lead to one app). Records arrive as requests finish, so the
 * walk back from the newest stops soon after that second.
 */
export function routeRates(access: Ring<AccessRecord>, sample: TrafficSample | undefined): Map<string, number> {
  const rates = new Map<string, number>();
  if (!sample) return rates;
  for (let position = access.end - 1; position >= access.start; position--) {
    const record = access.at(position) as AccessRecord;
    const finished = record.time + record.duration;
    if (finished < sample.time - 1000) break;
    if (record.route === null || finished < sample.time || finished >= sample.time + 1000) continue;
    rates.set(record.route, (rates.get(record.route) ?? 0) + 1);
  }
  return rates;
}

function processTone(process: ProcessInfo | null | undefined): Tone {
  if (!process) return 'idle';
  if (process.state === 'draining') return 'draining';
  if (process.state === 'ready' && process.health === 'failing') return 'bad';
  return stateTone(process.state);
}

function groupTone(workers: readonly ProcessInfo[]): Tone {
  const serving = workers.filter((worker) => worker.state !== 'draining');
  if (serving.length === 0) return 'idle';
  const ready = serving.filter((worker) => worker.state === 'ready').length;
  return ready === serving.length ? 'good' : ready === 0 ? 'bad' : 'busy';
}

export function buildTopology(
  spec: StackSpec | null,
  groups: StackGroups,
  rates: Rates | null,
  perRoute: ReadonlyMap<string, number>,
  now = Date.now(),
): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const routes = spec?.proxy?.routes ?? [];
  const rate = (value: number | undefined) => (rates === null ? null : (value ?? 0));

  // Targets in the order routes name them, then whatever no route reaches.
  const targets: { name: string; kind: 'app' | 'static' | 'url'; workers: ProcessInfo[] }[] = [];
  const seen = new Set<string>();
  const addTarget = (name: string, kind: 'app' | 'static' | 'url') => {
    if (seen.has(name)) return;
    seen.add(name);
    const workers =
      kind === 'app' ? (groups.apps.find((app) => app.name === name)?.workers ?? []) : kind === 'static' ? groups.statics.filter((site) => site.name === name) : [];
    targets.push({ name, kind, workers });
  };
  for (const route of routes) addTarget(route.to, route.target);
  for (const site of groups.statics) addTarget(site.name, 'static');
  for (const app of groups.apps) addTarget(app.name, 'app');

  let row = 0;
  for (const target of targets) {
    const targetRoutes = routes.map((route, index) => ({ route, index })).filter(({ route }) => route.to === target.name);
    const shownWorkers = target.kind === 'app' ? target.workers : [];
    // A worker takes a row per child it forked, so that its children sit beside it.
    const spans = shownWorkers.map((worker) => Math.max(1, worker.children.length));
    const height = Math.max(1, spans.reduce((sum, span) => sum + span, 0), targetRoutes.length);
    const top = row * ROW;
    const middle = top + ((height - 1) * ROW) / 2;
    const targetId = `target:${target.name}`;
    const served = target.kind === 'static' ? target.workers : shownWorkers;
    nodes.push({
      id: targetId,
      kind: 'target',
      x: COLUMN.target,
      y: middle,
      title: target.name,
      detail: target.kind === 'url' ? 'external' : target.kind === 'static' ? `static · ${target.workers[0]?.state ?? 'absent'}` : `app · ${served.filter((w) => w.state === 'ready').length}/${served.filter((w) => w.state !== 'draining').length} ready`,
      tone: target.kind === 'url' ? 'neutral' : target.kind === 'static' ? processTone(target.workers[0]) : groupTone(shownWorkers),
      ref: target.name,
    });
    targetRoutes.forEach(({ route, index }, position) => {
      const routeId = `route:${index}`;
      const offset = (height - targetRoutes.length) / 2;
      nodes.push({
        id: routeId,
        kind: 'route',
        x: COLUMN.route,
        y: top + (position + offset) * ROW,
        title: routeKey(route),
        detail: route.stripPrefix ? `→ ${route.to} (strip)` : `→ ${route.to}`,
        tone: 'neutral',
        ref: routeKey(route),
      });
      edges.push({ id: `proxy->${routeId}`, source: 'proxy', target: routeId, rate: rate(perRoute.get(routeKey(route))), draining: false });
      edges.push({ id: `${routeId}->${targetId}`, source: routeId, target: targetId, rate: rate(rates?.byApp.get(target.name)), draining: false });
    });
    let workerRow = 0;
    shownWorkers.forEach((worker, index) => {
      // A reload's replacement shares its name with the run it replaces: it is told apart by its run id.
      const ref = worker.role === 'member' ? worker.name : worker.id;
      const workerId = `worker:${ref}`;
      const span = spans[index] ?? 1;
      nodes.push({
        id: workerId,
        kind: 'worker',
        x: COLUMN.worker,
        y: top + (workerRow + (span - 1) / 2) * ROW,
        title: worker.role === 'member' ? worker.name : `${worker.name} (${worker.role === 'surge' ? 'new' : 'leaving'})`,
        detail: `${worker.state}${worker.health === 'failing' || worker.health === 'busy' ? ` · ${worker.health}` : ''}${worker.pid ? ` · ${worker.pid}` : ''}`,
        tone: processTone(worker),
        ref,
        state: worker.state,
        forks: worker.children.length > 0,
      });
      edges.push({ id: `${targetId}->${workerId}`, source: targetId, target: workerId, rate: rate(rates?.byProcess.get(worker.name)), draining: worker.state === 'draining' });
      worker.children.forEach((child, position) => {
        const childId = `child:${ref}:${child.pid}`;
        nodes.push({
          id: childId,
          kind: 'child',
          x: COLUMN.child,
          y: top + (workerRow + position) * ROW,
          title: `pid ${child.pid}`,
          detail: `${formatPercent(child.cpu)}% · ${formatMiB(child.memory)} MiB · ${formatDuration(now - child.startedAt)}`,
          tone: processTone(worker),
          ref: `${ref}:${child.pid}`,
        });
        edges.push({ id: `${workerId}->${childId}`, source: workerId, target: childId, rate: null, draining: false });
      });
      workerRow += span;
    });
    row += height;
  }

  const middle = (Math.max(1, row) - 1) * ROW * 0.5;
  if (spec?.proxy || groups.proxy) {
    const listen = spec?.proxy?.listen;
    nodes.unshift(
      { id: 'client', kind: 'client', x: COLUMN.client, y: middle, title: 'client', detail: listen ? `:${listen.port}` : '', tone: 'neutral', ref: 'client' },
      {
        id: 'proxy',
        kind: 'proxy',
        x: COLUMN.proxy,
        y: middle,
        title: 'proxy',
        detail: groups.proxy?.state ?? 'absent',
        tone: processTone(groups.proxy),
        ref: 'proxy',
        state: groups.proxy?.state,
      },
    );
    edges.unshift({ id: 'client->proxy', source: 'client', target: 'proxy', rate: rates === null ? null : rates.total, draining: false });
  }

  return { nodes, edges, rows: row, shape: nodes.map((node) => node.id).join('|') };
}
