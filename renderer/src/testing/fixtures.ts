// A small stack as the core would describe it: a proxy routing /api/ to an app `api` with two
// workers and / to a static site `web`. Builders take overrides so a test states only what matters.

import type { AccessRecord, Diagnostics, LoadProgress, StackStatus } from '../../../shared/api.ts';
import type { AppTraffic, Snapshot, TrafficSample } from '../../../shared/events.ts';
import type { LogLine, ProcessInfo } from '../../../shared/process.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../../shared/stack.ts';
import type { AppSpec, RouteSpec, StackSpec } from '../../../shared/stack.ts';

export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

function route(path: string, to: string, target: RouteSpec['target']): RouteSpec {
  return { host: null, path, to, target, stripPrefix: false, timeout: 30_000, at: { line: 1, col: 1 } };
}

export function appSpec(name: string, overrides: Partial<AppSpec> = {}): AppSpec {
  return {
    name,
    argv: ['node', 'server.js'],
    cwd: '/srv/shop/backend',
    replicas: 2,
    portEnv: 'PORT',
    env: {},
    health: { path: '/healthz', interval: 1000, startInterval: 250, timeout: 1000, healthyAfter: 1, unhealthyAfter: 3, restartAfter: 5 },
    balance: 'round-robin',
    restart: 'always',
    backoff: { initial: 250, max: 10_000 },
    maxRestarts: 5,
    minUptime: 5000,
    stop: { signal: 'SIGTERM', timeout: 5000 },
    watch: [],
    dependsOn: [],
    reload: null,
    maxRequests: 0,
    maxRequestsJitter: 0,
    ...overrides,
  };
}

export function stackSpec(overrides: Partial<StackSpec> = {}): StackSpec {
  return {
    name: 'shop',
    file: '/srv/shop/switchyard.yaml',
    dir: '/srv/shop',
    proxy: { listen: { host: '127.0.0.1', port: 8080 }, routes: [route('/api/', 'api', 'app'), route('/', 'web', 'static')], ...DEFAULT_CLIENT_LIMITS },
    statics: [{ name: 'web', root: '/srv/shop/web/dist', spa: true }],
    apps: [appSpec('api')],
    tasks: [],
    ...overrides,
  };
}

export function status(overrides: Partial<StackStatus> = {}): StackStatus {
  return { name: 'shop', file: '/srv/shop/switchyard.yaml', pid: 1000, startedAt: T0, spec: stackSpec(), ...overrides };
}

export function processInfo(name: string, overrides: Partial<ProcessInfo> = {}): ProcessInfo {
  const worker = /-(\d+)$/.exec(name);
  const kind: ProcessInfo['kind'] = name === 'proxy' ? 'proxy' : worker ? 'worker' : 'static';
  return {
    // Run ids are opaque; a fixture's is its name, so that tests can look runs up by either.
    id: name,
    name,
    role: 'member',
    app: worker ? name.slice(0, worker.index) : name,
    kind,
    worker: worker ? Number(worker[1]) : 1,
    state: 'ready',
    health: kind === 'worker' ? 'passing' : 'unknown',
    pid: 2000 + name.length,
    port: 9000 + name.length,
    restarts: 0,
    manualRestarts: 0,
    startedAt: T0,
    cpu: 1.5,
    memory: 50 * 1048576,
    lastExit: null,
    lastStderr: [],
    children: [],
    warnings: [],
    reason: null,
    ...overrides,
  };
}

export function stackProcesses(): ProcessInfo[] {
  return [
    processInfo('proxy', { pid: 2001, port: 8080 }),
    processInfo('web', { pid: 2002, port: 9001 }),
    processInfo('api-1', { pid: 2003, port: 9002 }),
    processInfo('api-2', { pid: 2004, port: 9003 }),
  ];
}

let seq = 0;

export function logLine(text: string, overrides: Partial<LogLine> = {}): LogLine {
  seq++;
  return { seq, time: T0 + seq, source: 'api-1', stream: 'stdout', text, ...overrides };
}

export function accessRecord(overrides: Partial<AccessRecord> = {}): AccessRecord {
  seq++;
  return {
    seq,
    time: T0 + seq,
    method: 'GET',
    path: '/api/items',
    status: 200,
    bytes: 120,
    duration: 4.2,
    route: '/api/',
    worker: 'api-1',
    member: 'api#1@2000',
    requestId: `req-${seq}`,
    error: null,
    attempts: 1,
    app: 'api',
    process: 'api#1',
    ...overrides,
  };
}

export function appTraffic(overrides: Partial<AppTraffic> = {}): AppTraffic {
  return { requests: 10, errors: 0, p50: 3, p95: 8, p99: 12, workers: {}, ...overrides };
}

export function trafficSample(time: number, apps: Record<string, AppTraffic>, unrouted = 0): TrafficSample {
  return { time, apps, unrouted };
}

export function loadProgress(overrides: Partial<LoadProgress> = {}): LoadProgress {
  return {
    id: 'load-1',
    spec: { path: '/api/items', rate: 100, duration: 10 },
    state: 'running',
    startedAt: T0,
    elapsed: 2,
    sent: 200,
    ok: 200,
    failed: 0,
    skipped: 0,
    statuses: { '2xx': 200 },
    p50: 3,
    p99: 9,
    errors: [],
    ...overrides,
  };
}

export function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    status: status(),
    processes: stackProcesses(),
    logs: [],
    logsSkipped: 0,
    access: [],
    traffic: [],
    config: null,
    loads: [],
    ...overrides,
  };
}

/** The shop stack run by `switchyard up` in a terminal: every PATH folder there and `node` found. */
export function diagnostics(overrides: Partial<Diagnostics> = {}): Diagnostics {
  return {
    runtime: { host: 'cli', node: '24.21.0', electron: null, platform: 'darwin', arch: 'arm64', pid: 1000, startedAt: T0 },
    stack: { name: 'shop', file: '/srv/shop/switchyard.yaml' },
    path: {
      value: '/opt/homebrew/bin:/usr/bin:/bin',
      entries: [
        { dir: '/opt/homebrew/bin', exists: true },
        { dir: '/usr/bin', exists: true },
        { dir: '/bin', exists: true },
      ],
      source: 'inherited',
      shell: null,
      durationMs: 0,
      problem: null,
    },
    commands: [{ app: 'api', command: 'node', resolved: '/opt/homebrew/bin/node' }],
    proxy: { engine: 'builtin', program: null, config: null },
    ...overrides,
  };
}
