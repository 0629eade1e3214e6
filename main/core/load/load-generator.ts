// Load tests against the stack's own proxy. Open loop: requests leave at the asked rate whether or not
// answers keep up, so a slow stack shows as latency and skipped requests, not as a politely lower rate.
// Loopback only: this is a demo tool, never a way to flood someone else's server.

import { Pool } from 'undici';
import { LOAD_LIMITS } from '../../../shared/api.ts';
import type { LoadProgress, LoadSpec } from '../../../shared/api.ts';
import { SwitchyardError } from '../errors.ts';
import { Emitter } from '../events.ts';
import type { Disposable } from '../events.ts';
import { LatencyHistogram } from '../metrics/traffic.ts';

// Small ticks keep bursts small: at the top rate a tick sends about 50 requests.
const TICK_MS = 10;
const PROGRESS_MS = 250;
const REQUEST_TIMEOUT_MS = 10_000;
const DRAIN_MS = 3000;
const MAX_RUNNING = 2;
const KEEP_FINISHED = 5;
const KEEP_ERRORS = 5;
const METHODS: readonly string[] = ['GET', 'HEAD', 'POST'];

/** The header that marks a load test's requests in the access log; its value is the test's id. */
export const LOAD_HEADER = 'x-switchyard-load';

/** Where the proxy listens, as the caller knows it. */
export interface LoadTarget {
  host: string;
  port: number;
}

/** Options of a LoadGenerator. */
export interface LoadGeneratorOptions {
  /** The proxy's listening address, or null while it does not listen. */
  target: () => LoadTarget | null;
  /** Progress of each running test about every 250 ms, and once when it ends. */
  onProgress: (progress: LoadProgress) => void;
  /** Requests waiting for an answer, per test, beyond which due requests are skipped (default LOAD_LIMITS.maxConcurrency). */
  maxConcurrency?: number;
  /** How long an ended test waits for outstanding answers before counting them as timeouts (default 3 s). */
  drainMs?: number;
}

/** Runs at most two load tests at once, each against the proxy on loopback. */
export class LoadGenerator implements Disposable {
  private readonly target: () => LoadTarget | null;
  private readonly maxConcurrency: number;
  private readonly drainMs: number;
  // Through an Emitter, so a throwing listener is reported instead of crashing the process from a timer.
  private readonly progressed = new Emitter<LoadProgress>();
  // In start order; running tests and the last few finished ones.
  private readonly runs = new Map<string, LoadRun>();
  private count = 0;
  private disposed = false;

  constructor({ target, onProgress, maxConcurrency = LOAD_LIMITS.maxConcurrency, drainMs = DRAIN_MS }: LoadGeneratorOptions) {
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > LOAD_LIMITS.maxConcurrency) {
      throw new RangeError(`maxConcurrency must be an integer from 1 to ${LOAD_LIMITS.maxConcurrency}, got ${maxConcurrency}`);
    }
    this.target = target;
    this.maxConcurrency = maxConcurrency;
    this.drainMs = drainMs;
    this.progressed.event(onProgress);
  }

  /** Starts a test; its first progress. Throws a SwitchyardError for a bad spec, a non-loopback target or a third test. */
  start(spec: LoadSpec): LoadProgress {
    if (this.disposed) throw new SwitchyardError('bad-request', 'The stack is shutting down; load tests can no longer start.');
    const checked = checkSpec(spec);
    const running = [...this.runs.values()].filter((run) => run.running).map((run) => run.id);
    if (running.length >= MAX_RUNNING) {
      throw new SwitchyardError(
        'bad-request',
        `${MAX_RUNNING} load tests are already running (${running.join(', ')}); stop one or wait for it to finish, then start again.`,
      );
    }
    const origin = loopbackOrigin(this.target());
    const id = `load-${++this.count}`;
    const run = new LoadRun(id, checked, origin, {
      maxConcurrency: this.maxConcurrency,
      drainMs: this.drainMs,
      report: (progress) => {
        if (progress.state !== 'running') this.forgetOldRuns();
        this.progressed.fire(progress);
      },
    });
    this.runs.set(id, run);
    return run.progress();
  }

  /** Running tests and the last few finished ones, oldest first. */
  list(): LoadProgress[] {
    return [...this.runs.values()].map((run) => run.progress());
  }

  /** Stops a test early (waiting briefly for its outstanding answers); a finished one just reports. */
  async stop(id: string): Promise<LoadProgress> {
    const run = this.runs.get(id);
    if (!run) {
      const known = [...this.runs.keys()];
      throw new SwitchyardError('not-found', `No load test ${id}${known.length ? `; known tests are ${known.join(', ')}` : ''}.`);
    }
    return run.stop();
  }

  /** Ends every test at once and closes their connections. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await Promise.all([...this.runs.values()].map((run) => run.abort()));
    this.progressed.dispose();
  }

  private forgetOldRuns(): void {
    let finished = [...this.runs.values()].filter((run) => !run.running).length;
    for (const run of this.runs.values()) {
      if (finished <= KEEP_FINISHED) break;
      if (run.running) continue;
      this.runs.delete(run.id);
      finished--;
    }
  }
}

/** A checked copy of `spec`, or a SwitchyardError naming the field and its valid range. */
function checkSpec(spec: LoadSpec): Required<LoadSpec> {
  const refuse = (message: string) => new SwitchyardError('bad-request', `Load test ${message}.`);
  if (typeof spec !== 'object' || spec === null) throw refuse('spec must be an object with path, rate and duration');
  const { path, rate, duration, method = 'GET' } = spec;
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//')) {
    throw refuse(`path must start with a single / and name no scheme or host, like /api/items (got ${JSON.stringify(path)})`);
  }
  // undici refuses these too, but later and once per request.
  if (path.length > 2048 || !isPrintableAscii(path)) {
    throw refuse('path must be at most 2048 printable ASCII characters; percent-encode spaces and others');
  }
  if (typeof rate !== 'number' || !Number.isInteger(rate) || rate < 1 || rate > LOAD_LIMITS.maxRate) {
    throw refuse(`rate must be a whole number of requests per second from 1 to ${LOAD_LIMITS.maxRate} (got ${String(rate)})`);
  }
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 1 || duration > LOAD_LIMITS.maxDuration) {
    throw refuse(`duration must be from 1 to ${LOAD_LIMITS.maxDuration} seconds (got ${String(duration)})`);
  }
  if (!METHODS.includes(method)) throw refuse(`method must be one of ${METHODS.join(', ')} (got ${String(method)})`);
  return { path, rate, duration, method };
}

function isPrintableAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return false;
  }
  return true;
}

// A proxy listening on all interfaces is reached through loopback too.
const LOOPBACK: Readonly<Record<string, string>> = {
  '127.0.0.1': '127.0.0.1',
  localhost: '127.0.0.1',
  '0.0.0.0': '127.0.0.1',
  '::': '127.0.0.1',
  '::1': '[::1]',
};

/** The origin to send to, or a SwitchyardError unless `target` is on loopback. */
function loopbackOrigin(target: LoadTarget | null): string {
  if (!target) throw new SwitchyardError('bad-request', 'The proxy is not listening, so a load test has nowhere to go; start the proxy, then try again.');
  const name = target.host.toLowerCase();
  const host = Object.hasOwn(LOOPBACK, name) ? LOOPBACK[name] : undefined;
  if (!host) {
    throw new SwitchyardError(
      'bad-request',
      `Load tests only send to loopback, but the proxy listens on ${target.host}; set proxy listen to 127.0.0.1 (or 0.0.0.0) in the stack file to run one.`,
    );
  }
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new SwitchyardError('bad-request', `The proxy has no usable port (${target.port}); wait until it listens, then try again.`);
  }
  return `http://${host}:${target.port}`;
}

/** A short reason for a request that got no answer: the socket error code when there is one. */
function describeFailure(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.message;
  }
  return String(error);
}

interface Pending {
  started: number;
  controller: AbortController;
}

interface RunOptions {
  maxConcurrency: number;
  drainMs: number;
  report: (progress: LoadProgress) => void;
}

/** What a run is doing: sending at the rate, waiting for the last answers, or finished. */
type Phase = 'sending' | 'draining' | 'finished';

/** One load test: its own connection pool, its pacing timer and its figures. */
class LoadRun {
  readonly id: string;
  private readonly spec: Required<LoadSpec>;
  private readonly options: RunOptions;
  private readonly pool: Pool;
  private readonly startedAt = Date.now();
  // Pacing and latency use the monotonic clock; startedAt is for people.
  private readonly begin = performance.now();
  private endedAt: number | null = null;
  private phase: Phase = 'sending';
  private outcome: 'done' | 'stopped' = 'done';
  private drainUntil = 0;
  private lastReport: number;
  private readonly timer: NodeJS.Timeout;
  // In send order, so the oldest (the first to time out) come first.
  private readonly outstanding = new Map<number, Pending>();
  private nextSeq = 0;
  private sent = 0;
  private ok = 0;
  private failed = 0;
  private skipped = 0;
  private readonly statuses: Record<string, number> = {};
  private readonly latency = new LatencyHistogram();
  private readonly errors: string[] = [];
  private readonly closed: Promise<LoadProgress>;
  private resolveClosed: (progress: LoadProgress) => void = () => {};

  constructor(id: string, spec: Required<LoadSpec>, origin: string, options: RunOptions) {
    this.id = id;
    this.spec = spec;
    this.options = options;
    this.pool = new Pool(origin, { connections: options.maxConcurrency });
    this.lastReport = this.begin;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  get running(): boolean {
    return this.phase !== 'finished';
  }

  /** Stops sending; resolves with the final figures once the outstanding answers are in (or timed out). */
  stop(): Promise<LoadProgress> {
    if (this.phase === 'sending') this.endSending('stopped');
    return this.closed;
  }

  /** Ends now, counting outstanding requests as timeouts. */
  abort(): Promise<LoadProgress> {
    if (this.phase === 'sending') this.outcome = 'stopped';
    if (this.phase !== 'finished') this.finish();
    return this.closed;
  }

  progress(): LoadProgress {
    const end = this.endedAt ?? performance.now();
    return {
      id: this.id,
      spec: { ...this.spec },
      state: this.phase === 'finished' ? this.outcome : 'running',
      startedAt: this.startedAt,
      elapsed: Math.round(end - this.begin) / 1000,
      sent: this.sent,
      ok: this.ok,
      failed: this.failed,
      skipped: this.skipped,
      statuses: { ...this.statuses },
      p50: this.latency.percentile(0.5),
      p99: this.latency.percentile(0.99),
      errors: [...this.errors],
    };
  }

  private tick(): void {
    const now = performance.now();
    this.expire(now - REQUEST_TIMEOUT_MS);
    if (this.phase === 'sending') {
      const elapsed = Math.min(now - this.begin, this.spec.duration * 1000);
      // Everything due so far, so a late tick catches up instead of lowering the rate.
      const missing = Math.floor((elapsed * this.spec.rate) / 1000) - this.sent - this.skipped;
      const room = this.options.maxConcurrency - this.outstanding.size;
      const sending = Math.max(0, Math.min(missing, room));
      for (let i = 0; i < sending; i++) this.send(now);
      this.skipped += Math.max(0, missing - sending);
      if (elapsed >= this.spec.duration * 1000) this.endSending('done');
    }
    if (this.phase === 'draining' && (this.outstanding.size === 0 || now >= this.drainUntil)) {
      this.finish();
      return;
    }
    if (now - this.lastReport >= PROGRESS_MS) {
      this.lastReport = now;
      this.options.report(this.progress());
    }
  }

  private send(now: number): void {
    const seq = this.nextSeq++;
    const controller = new AbortController();
    this.outstanding.set(seq, { started: now, controller });
    this.sent++;
    const { path, method } = this.spec;
    this.pool
      .request({ path, method, headers: { [LOAD_HEADER]: this.id }, signal: controller.signal })
      .then(async ({ statusCode, body }) => {
        // Read the whole body: the answer is complete only then, and the connection can be reused.
        for await (const _chunk of body) {
          // discarded
        }
        this.answered(seq, statusCode);
      })
      .catch((error: unknown) => this.failedWith(seq, describeFailure(error)));
  }

  private answered(seq: number, status: number): void {
    const pending = this.outstanding.get(seq);
    // Gone when it was already counted as a timeout.
    if (!pending) return;
    this.outstanding.delete(seq);
    this.latency.add(performance.now() - pending.started);
    const kind = `${Math.floor(status / 100)}xx`;
    this.statuses[kind] = (this.statuses[kind] ?? 0) + 1;
    if (status < 500) {
      this.ok++;
      return;
    }
    this.failed++;
    this.noteError(`${status} from ${this.spec.path}`);
  }

  private failedWith(seq: number, reason: string): void {
    if (!this.outstanding.delete(seq)) return;
    this.countFailure(reason);
  }

  private countFailure(reason: string): void {
    this.failed++;
    this.statuses.error = (this.statuses.error ?? 0) + 1;
    this.noteError(reason);
  }

  private noteError(reason: string): void {
    this.errors.push(reason);
    if (this.errors.length > KEEP_ERRORS) this.errors.shift();
  }

  /** Counts requests sent before `before` as timeouts and abandons them. */
  private expire(before: number): void {
    for (const [seq, pending] of this.outstanding) {
      if (pending.started > before) break;
      this.outstanding.delete(seq);
      pending.controller.abort();
      this.countFailure('timeout');
    }
  }

  private endSending(outcome: 'done' | 'stopped'): void {
    this.phase = 'draining';
    this.outcome = outcome;
    this.drainUntil = performance.now() + this.options.drainMs;
  }

  private finish(): void {
    this.phase = 'finished';
    this.endedAt = performance.now();
    clearInterval(this.timer);
    this.expire(Infinity);
    const final = this.progress();
    this.options.report(final);
    // Resolve once the sockets are closed, so a caller that awaits the end leaves nothing open.
    void this.pool
      .destroy()
      .catch(() => undefined)
      .then(() => this.resolveClosed(final));
  }
}
