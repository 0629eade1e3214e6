// Active health checks for one worker: HTTP GET (2xx passes) or a TCP connect.
// Workers bind 127.0.0.1, ::1 or both; a probe tries one, falls back to the other on a refused
// connection, and remembers which answered.

import http from 'node:http';
import net from 'node:net';
import type { HealthSpec } from '../../../shared/stack.ts';

/** The loopback addresses a worker may listen on, in the order they are tried first. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1'] as const;

/** The outcome of one check. */
export interface ProbeResult {
  ok: boolean;
  /** Why it failed (or what passed), for logs and the UI. */
  detail: string;
  /** Which loopback address answered, when one did. */
  host: string | null;
  /** It failed for want of an answer within the timeout (a refusal or an error status is an answer). */
  timedOut?: true;
  /** It timed out while the proxy had requests in flight on the worker: neither a pass nor a failure. */
  busy?: true;
}

/** While a worker has never passed, checks come this often so that it enters rotation promptly. */
export const BOOT_PROBE_INTERVAL_MS = 20;

function checkOnce(host: string, port: number, spec: HealthSpec): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const fail = (detail: string) => resolve({ ok: false, detail, host: null });
    const timedOut = (detail: string) => resolve({ ok: false, detail, host: null, timedOut: true });
    if (spec.path === null) {
      const socket = net.connect({ host, port });
      socket.setTimeout(spec.timeout, () => {
        socket.destroy();
        timedOut(`TCP connect to port ${port} timed out after ${spec.timeout}ms`);
      });
      socket.once('connect', () => {
        socket.destroy();
        resolve({ ok: true, detail: `port ${port} accepts connections`, host });
      });
      socket.once('error', (error: NodeJS.ErrnoException) => fail(`TCP connect to port ${port}: ${error.code ?? error.message}`));
      return;
    }
    const request = http.get(
      { host, port, path: spec.path, agent: false, headers: { 'user-agent': 'switchyard-health', connection: 'close' } },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        response.once('end', () => request.destroy());
        if (status >= 200 && status < 300) resolve({ ok: true, detail: `GET ${spec.path} → ${status}`, host });
        else fail(`GET ${spec.path} → ${status}`);
      },
    );
    // One deadline for connect, headers and all: a worker that accepts but never answers is hung.
    const timer = setTimeout(() => {
      request.destroy();
      timedOut(`GET ${spec.path} timed out after ${spec.timeout}ms`);
    }, spec.timeout);
    request.once('close', () => clearTimeout(timer));
    request.once('error', (error: NodeJS.ErrnoException) => fail(`GET ${spec.path}: ${error.code ?? error.message}`));
  });
}

/** Checks once, trying the preferred loopback address first and the other when refused. */
export async function probeWorker(port: number, spec: HealthSpec, preferredHost: string | null = null): Promise<ProbeResult> {
  const order = preferredHost === '::1' ? ['::1', '127.0.0.1'] : ['127.0.0.1', '::1'];
  let first: ProbeResult | null = null;
  for (const host of order) {
    const result = await checkOnce(host, port, spec);
    if (result.ok) return result;
    first ??= result;
    // Only a refused or unreachable address means "try the other one"; a timeout or a 500 is the answer.
    if (!/ECONNREFUSED|EADDRNOTAVAIL|ENETUNREACH|EAFNOSUPPORT/.test(result.detail)) return result;
  }
  return first as ProbeResult;
}

/** One check of a process's health; `preferredHost` is the loopback address that answered last. */
export type ProbeCheck = (preferredHost: string | null) => Promise<ProbeResult>;

/** Probes a worker on a schedule and reports every result; fast while it has never passed. */
export class HealthProbe {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  /** Bumped by every start, so a check from before a stop never schedules another. */
  private generation = 0;
  private passedOnce = false;
  private host: string | null = null;
  private readonly check: ProbeCheck;
  private spec: HealthSpec;
  private readonly onResult: (result: ProbeResult) => void;

  /** Probes `target`'s port as `spec` says (HTTP or TCP), or runs a check of the process's own. */
  constructor(target: number | ProbeCheck, spec: HealthSpec, onResult: (result: ProbeResult) => void) {
    this.check = typeof target === 'number' ? (host) => probeWorker(target, this.spec, host) : target;
    this.spec = spec;
    this.onResult = onResult;
  }

  /** The loopback address the worker last answered on. */
  get answeringHost(): string | null {
    return this.host;
  }

  /** Checks with changed timings from the next check on (its interval, timeout). */
  adopt(spec: HealthSpec): void {
    this.spec = spec;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.schedule(Math.min(BOOT_PROBE_INTERVAL_MS, this.spec.interval));
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delay: number): void {
    const generation = this.generation;
    this.timer = setTimeout(() => void this.tick(generation), delay);
  }

  private async tick(generation: number): Promise<void> {
    const result = await this.check(this.host);
    if (!this.running || generation !== this.generation) return;
    if (result.ok) {
      this.passedOnce = true;
      this.host = result.host;
    }
    this.onResult(result);
    if (!this.running) return;
    this.schedule(this.passedOnce ? this.spec.interval : Math.min(BOOT_PROBE_INTERVAL_MS, this.spec.interval));
  }
}
