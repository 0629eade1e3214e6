// Active health checks for one worker: HTTP GET (2xx passes) or a TCP connect.
// Workers bind 127.0.0.1, ::1 or both; a probe tries one, falls back to the other on a refused
// connection, and remembers which answered.

import net from 'node:net';
import type { HealthSpec } from '../../../shared/stack.ts';
import { untilBeat } from '../batching/beat.ts';
import { httpCheck } from './http-check.ts';

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

/** One HTTP check's outcome as a probe result: only a 2xx passes. */
async function checkHttp(host: string, port: number, path: string, timeout: number): Promise<ProbeResult> {
  const outcome = await httpCheck(host, port, path, timeout);
  const what = `GET ${path}`;
  switch (outcome.kind) {
    case 'status':
      if (outcome.status >= 200 && outcome.status < 300) return { ok: true, detail: `${what} → ${outcome.status}`, host };
      return { ok: false, detail: `${what} → ${outcome.status}`, host: null };
    case 'timeout':
      // One deadline for connect, headers and all: a worker that accepts but never answers is hung.
      return { ok: false, detail: `${what} timed out after ${timeout}ms`, host: null, timedOut: true };
    case 'error':
      return { ok: false, detail: `${what}: ${outcome.code}`, host: null };
    case 'malformed':
      return { ok: false, detail: `${what}: ${outcome.why}`, host: null };
  }
}

function checkOnce(host: string, port: number, spec: HealthSpec): Promise<ProbeResult> {
  if (spec.path !== null) return checkHttp(host, port, spec.path, spec.timeout);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(spec.timeout, () => {
      socket.destroy();
      resolve({ ok: false, detail: `TCP connect to port ${port} timed out after ${spec.timeout}ms`, host: null, timedOut: true });
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, detail: `port ${port} accepts connections`, host });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, detail: `TCP connect to port ${port}: ${error.code ?? error.message}`, host: null }));
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

/** Probes a worker on a schedule and reports every result, with the number of the check. */
export class HealthProbe {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private inFlight = false;
  /** Bumped by every start, so a check from before a stop never schedules another. */
  private generation = 0;
  private passedOnce = false;
  /** Checks begun so far; a result says which one it is. */
  private begun = 0;
  /** After a reload signal: the checks after this one come at the starting pace until one passes or `hurryEnds`. */
  private hurriedAfter: number | null = null;
  private hurryEnds = 0;
  private host: string | null = null;
  private readonly check: ProbeCheck;
  private spec: HealthSpec;
  private readonly onResult: (result: ProbeResult, check: number) => void;
  private readonly starting: () => boolean;

  /**
   * Probes `target`'s port as `spec` says (HTTP or TCP), or runs a check of the process's own. Checks
   * come every `startInterval` while `starting` says so (by default, until the first pass), then
   * every `interval`.
   */
  constructor(target: number | ProbeCheck, spec: HealthSpec, onResult: (result: ProbeResult, check: number) => void, starting?: () => boolean) {
    this.check = typeof target === 'number' ? (host) => probeWorker(target, this.spec, host) : target;
    this.spec = spec;
    this.onResult = onResult;
    this.starting = starting ?? (() => !this.passedOnce);
  }

  /** The loopback address the worker last answered on. */
  get answeringHost(): string | null {
    return this.host;
  }

  /** How many checks have begun; every later result has a greater number. */
  get checksBegun(): number {
    return this.begun;
  }

  /** Checks with changed timings from the next check on (its interval, timeout); a run keeps the path it is checked on. */
  adopt(spec: HealthSpec): void {
    this.spec = { ...spec, path: this.spec.path };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.schedule(this.pace());
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * The server was told to reload: checks come at the starting pace from now until one begun from
   * now on passes, for at most `grace` ms.
   */
  hurry(grace: number): void {
    this.hurriedAfter = this.begun;
    this.hurryEnds = Date.now() + grace;
    if (!this.running || this.inFlight) return;
    if (this.timer) clearTimeout(this.timer);
    this.schedule(this.pace());
  }

  /** Whether a reload signal's checks are still awaiting their first pass. */
  get hurried(): boolean {
    if (this.hurriedAfter !== null && Date.now() >= this.hurryEnds) this.hurriedAfter = null;
    return this.hurriedAfter !== null;
  }

  /**
   * The starting pace, never slower than the steady one; the steady one keeps to the interval's beat,
   * so every ready worker with the same interval (and the builtin proxy's heartbeat) is checked in one wake-up.
   */
  private pace(): number {
    const starting = this.hurried || this.starting();
    return starting ? Math.min(this.spec.startInterval, this.spec.interval) : untilBeat(this.spec.interval);
  }

  private schedule(delay: number): void {
    const generation = this.generation;
    this.timer = setTimeout(() => void this.tick(generation), delay);
  }

  private async tick(generation: number): Promise<void> {
    this.timer = null;
    this.inFlight = true;
    const number = ++this.begun;
    const result = await this.check(this.host).finally(() => (this.inFlight = false));
    if (!this.running || generation !== this.generation) return;
    if (result.ok) {
      this.passedOnce = true;
      this.host = result.host;
      if (this.hurriedAfter !== null && number > this.hurriedAfter) this.hurriedAfter = null;
    }
    this.onResult(result, number);
    if (!this.running || this.timer) return;
    this.schedule(this.pace());
  }
}
