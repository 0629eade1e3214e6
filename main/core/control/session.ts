// One client's session, whatever carries it (a WebSocket now, the desktop shell's IPC next): calls
// answered in any order, and after a subscribe a snapshot, then events in batches. Log lines and
// access events of a batch travel as one array each, only the newest metrics sample is kept, and
// every state change is kept (a crash that lasts 10 ms must still be seen). A client that does not
// keep up is dropped rather than waited on: it reconnects and asks for what it missed.

import type { ClientMessage, EventEnvelope, ServerMessage } from '../../../shared/events.ts';
import { CLOSE_TOO_SLOW } from '../../../shared/events.ts';
import type { LogLine } from '../../../shared/process.ts';
import type { AccessRecord } from '../../../shared/api.ts';
import type { ControlHub } from './control-api.ts';
import { callFailure, invoke, parseClientMessage } from './wire.ts';

/** Events wait this long for others to share their message (a 60 Hz frame, give or take). */
export const EVENT_BATCH_MS = 25;
/** A client with more than this sent but not yet taken by its connection is dropped. */
export const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

/** What a session needs from its connection. */
export interface SessionTransport {
  send(message: ServerMessage): void;
  /** Bytes handed to the connection and not yet written out. */
  backlog(): number;
  close(code: number, reason: string): void;
}

/** The events waiting for the next batch, merged as they arrive. */
class PendingEvents {
  private lines: LogLine[] = [];
  private records: AccessRecord[] = [];
  private others: EventEnvelope[] = [];
  private metrics: EventEnvelope | null = null;

  get empty(): boolean {
    return this.lines.length === 0 && this.records.length === 0 && this.others.length === 0 && this.metrics === null;
  }

  add(envelope: EventEnvelope): void {
    switch (envelope.topic) {
      case 'logs':
        for (const line of envelope.data) this.lines.push(line);
        return;
      case 'access':
        for (const record of envelope.data) this.records.push(record);
        return;
      case 'metrics':
        this.metrics = envelope;
        return;
      default:
        this.others.push(envelope);
    }
  }

  /** The batch, in an order a client can apply as it reads: states before lines and requests. */
  take(): EventEnvelope[] {
    const batch: EventEnvelope[] = [];
    batch.push(...this.others);
    if (this.metrics) batch.push(this.metrics);
    if (this.lines.length > 0) batch.push({ topic: 'logs', data: this.lines });
    if (this.records.length > 0) batch.push({ topic: 'access', data: this.records });
    this.lines = [];
    this.records = [];
    this.others = [];
    this.metrics = null;
    return batch;
  }
}

/** A client's calls and its subscription. */
export class Session {
  private readonly hub: ControlHub;
  private readonly transport: SessionTransport;
  private subscription: (() => void) | null = null;
  private pending = new PendingEvents();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(hub: ControlHub, transport: SessionTransport) {
    this.hub = hub;
    this.transport = transport;
  }

  /** A message from the client, as parsed JSON (still untrusted). */
  receive(input: unknown): void {
    if (this.closed) return;
    const parsed = parseClientMessage(input);
    if (!parsed.ok) {
      const id = typeof input === 'object' && input !== null && typeof (input as { id?: unknown }).id === 'number' ? (input as { id: number }).id : -1;
      this.send({ type: 'reply', id, ok: false, error: { code: 'bad-request', message: parsed.message } });
      return;
    }
    const message = parsed.message;
    if (message.type === 'subscribe') this.subscribe(message);
    else void this.call(message);
  }

  /** The connection is gone. */
  close(): void {
    this.closed = true;
    this.subscription?.();
    this.subscription = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private subscribe(request: Extract<ClientMessage, { type: 'subscribe' }>): void {
    // A second subscribe starts over: a fresh snapshot, and nothing queued from before it.
    this.subscription?.();
    this.pending = new PendingEvents();
    const { snapshot, dispose } = this.hub.subscribe(request, (envelope) => this.queue(envelope));
    this.subscription = dispose;
    this.send({ type: 'snapshot', snapshot });
  }

  private async call(message: Extract<ClientMessage, { type: 'call' }>): Promise<void> {
    const { type: _type, id, ...call } = message;
    try {
      const result = await invoke(this.hub.api, call);
      this.send({ type: 'reply', id, ok: true, result: result ?? null });
    } catch (error) {
      this.send({ type: 'reply', id, ok: false, error: callFailure(error) });
    }
  }

  private queue(envelope: EventEnvelope): void {
    this.pending.add(envelope);
    this.timer ??= setTimeout(() => this.flush(), EVENT_BATCH_MS);
  }

  private flush(): void {
    this.timer = null;
    if (this.closed || this.pending.empty) return;
    if (this.transport.backlog() > MAX_BACKLOG_BYTES) {
      this.close();
      this.transport.close(CLOSE_TOO_SLOW, 'too slow: reconnect and subscribe with the last seq you have');
      return;
    }
    this.send({ type: 'events', events: this.pending.take() });
  }

  private send(message: ServerMessage): void {
    if (!this.closed) this.transport.send(message);
  }
}
