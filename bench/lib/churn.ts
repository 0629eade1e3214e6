// The churn benchmarks' load: a client child process (churn-client.ts) sending GETs back to back,
// asked for its counts over IPC so that a run can be cut into measured windows (steady load, a
// reload, a kill) and each window's failed requests counted.

import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ChurnCounts, FromChurnClient, ToChurnClient } from './churn-client.ts';

const CLIENT = fileURLToPath(new URL('./churn-client.ts', import.meta.url));
/** The client stops itself after this long even if this process never tells it to. */
const CLIENT_MAX_SECONDS = 90;
const ANSWER_DEADLINE_MS = 10_000;

/** One measured window of a run. */
export interface ChurnWindow {
  label: string;
  seconds: number;
  counts: ChurnCounts;
}

/** Runs `action` and records what the client counted meanwhile as one window. */
export async function measureWindow(client: ChurnClient, windows: ChurnWindow[], label: string, action: () => Promise<void>): Promise<void> {
  const before = await client.snapshot();
  const started = performance.now();
  await action();
  const seconds = (performance.now() - started) / 1000;
  windows.push({ label, seconds, counts: difference(await client.snapshot(), before) });
}

/** A window as table cells: label, seconds, requests, failed, req/s, slowest ms, failures by reason. */
export function windowRow({ label, seconds, counts }: ChurnWindow): string[] {
  return [
    label,
    seconds.toFixed(1),
    String(counts.ok + counts.failed),
    String(counts.failed),
    ((counts.ok + counts.failed) / seconds).toFixed(0),
    counts.slowest.toFixed(0),
    [
      ...Object.entries(counts.reasons)
        .sort(([, a], [, b]) => b - a)
        .map(([reason, count]) => `${count} × ${reason}`),
      ...(counts.retried > 0 ? [`(${counts.retried} GETs sent again: connection closed before any answer)`] : []),
    ].join('; '),
  ];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts between two snapshots; `slowest` is already per window (the client resets it on every snapshot). */
function difference(after: ChurnCounts, before: ChurnCounts): ChurnCounts {
  const reasons: Record<string, number> = {};
  for (const [reason, count] of Object.entries(after.reasons)) {
    const delta = count - (before.reasons[reason] ?? 0);
    if (delta > 0) reasons[reason] = delta;
  }
  return { ok: after.ok - before.ok, failed: after.failed - before.failed, reasons, slowest: after.slowest, retried: after.retried - before.retried };
}

/** The load client child and its IPC conversation. */
export class ChurnClient {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (counts: ChurnCounts) => void>();
  private nextId = 1;
  private exited = false;

  /** Starts `connections` keep-alive clients on `url` (loopback only); `retryResets` sends a GET again when its connection closes before any answer. */
  constructor(url: string, connections: number, { retryResets = false } = {}) {
    this.child = fork(CLIENT, [], {
      env: { ...process.env, URL: url, CONNECTIONS: String(connections), MAX_SECONDS: String(CLIENT_MAX_SECONDS), RETRY_RESETS: retryResets ? '1' : '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: FromChurnClient) => {
      this.waiting.get(message.id)?.(message.counts);
      this.waiting.delete(message.id);
    });
    this.child.once('exit', () => (this.exited = true));
  }

  snapshot(): Promise<ChurnCounts> {
    return this.ask('snapshot');
  }

  /** Stops the loops and returns the final counts; kills the client if it does not finish in time. */
  async stop(): Promise<ChurnCounts | null> {
    if (this.exited) return null;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    try {
      return await this.ask('stop');
    } catch {
      return null;
    } finally {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), ANSWER_DEADLINE_MS);
      await exited;
      clearTimeout(timer);
    }
  }

  private ask(type: ToChurnClient['type']): Promise<ChurnCounts> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the load client did not answer '${type}' within ${ANSWER_DEADLINE_MS} ms`));
      }, ANSWER_DEADLINE_MS);
      this.waiting.set(id, (counts) => {
        clearTimeout(timer);
        resolve(counts);
      });
      this.child.send({ type, id } satisfies ToChurnClient);
    });
  }
}
