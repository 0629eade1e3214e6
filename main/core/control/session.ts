// One client's session, whatever carries it (a WebSocket, the desktop app's port): calls answered
// in any order, and after a subscribe a snapshot, then events in batches (event-batcher.ts). Log
// lines and access events of a batch travel as one array each, only the newest metrics sample is
// kept, and every state change is kept (a crash that lasts 10 ms must still be seen). A client
// that does not keep up is dropped rather than waited on: it subscribes again from its last seq.

import type { ClientMessage, EventEnvelope, ServerMessage } from '../../../shared/events.ts';
import { CLOSE_TOO_SLOW } from '../../../shared/events.ts';
import type { LogLine } from '../../../shared/process.ts';
import type { AccessRecord } from '../../../shared/api.ts';
import { EventBatcher } from '../batching/event-batcher.ts';
import { envelopeBytes } from '../batching/wire-size.ts';
import type { ControlHub } from './control-api.ts';
import { callFailure, invoke, parseClientMessage } from './wire.ts';

/** A client further behind than this is dropped. */
export const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

/** What a session needs from its connection. */
export interface SessionTransport {
  send(message: ServerMessage): void;
  /**
   * Bytes handed to the connection and not yet written out, where it can tell (a socket). Absent
   * where it cannot (a port posts at once): there, batches the client has not acknowledged count.
   */
  backlog?(): number;
  /** Ends the session: the client was too slow (CLOSE_TOO_SLOW). */
  close(code: number, reason: string): void;
}

/** A client's calls and its subscription. */
export class Session {
  private readonly hub: ControlHub;
  private readonly transport: SessionTransport;
  private readonly batcher: EventBatcher<EventEnvelope>;
  private readonly unacknowledged: Unacknowledged | null;
  private subscription: (() => void) | null = null;
  private nextBatch = 1;
  private closed = false;

  constructor(hub: ControlHub, transport: SessionTransport) {
    this.hub = hub;
    this.transport = transport;
    this.unacknowledged = transport.backlog ? null : new Unacknowledged();
    const unacknowledged = this.unacknowledged;
    this.batcher = new EventBatcher({
      deliver: (envelopes, bytes) => this.deliver(envelopes, bytes),
      sizeOf: envelopeBytes,
      backlog: unacknowledged ? () => unacknowledged.bytes : () => transport.backlog?.() ?? 0,
      maxBacklog: MAX_BACKLOG_BYTES,
      onBehind: () => {
        this.close();
        this.transport.close(CLOSE_TOO_SLOW, 'too slow: reconnect and subscribe with the last seq you have');
      },
    });
  }

  /** A message from the client, as parsed JSON (still untrusted). */
  receive(input: unknown): void {
    if (this.closed) return;
    const parsed = parseClientMessage(input);
    if (!parsed.ok) {
      const id = typeof input === 'object' && input !== null && 'id' in input && typeof input.id === 'number' ? input.id : -1;
      this.send({ type: 'reply', id, ok: false, error: { code: 'bad-request', message: parsed.message } });
      return;
    }
    const message = parsed.message;
    if (message.type === 'subscribe') this.subscribe(message);
    else if (message.type === 'ack') this.unacknowledged?.acknowledge(message.seq);
    else void this.call(message);
  }

  /** The connection is gone. */
  close(): void {
    this.closed = true;
    this.subscription?.();
    this.subscription = null;
    this.batcher.dispose();
  }

  private subscribe(request: Extract<ClientMessage, { type: 'subscribe' }>): void {
    // A second subscribe starts over: a fresh snapshot, and nothing queued from before it.
    this.subscription?.();
    this.batcher.clear();
    const { snapshot, dispose } = this.hub.subscribe(request, (envelope) => this.batcher.push(envelope));
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

  private deliver(envelopes: EventEnvelope[], bytes: number): void {
    if (this.closed) return;
    const seq = this.nextBatch++;
    this.unacknowledged?.sent(seq, bytes);
    this.send({ type: 'events', seq, events: coalesce(envelopes) });
  }

  private send(message: ServerMessage): void {
    if (!this.closed) this.transport.send(message);
  }
}

/** A batch in an order a client can apply as it reads: states before lines and requests; one array of lines, one of requests, the newest metrics. */
function coalesce(envelopes: EventEnvelope[]): EventEnvelope[] {
  const batch: EventEnvelope[] = [];
  const lines: LogLine[] = [];
  const records: AccessRecord[] = [];
  let metrics: EventEnvelope | null = null;
  for (const envelope of envelopes) {
    // A loop, not push(...data): a long array would overflow the argument stack.
    if (envelope.topic === 'logs') for (const line of envelope.data) lines.push(line);
    else if (envelope.topic === 'access') for (const record of envelope.data) records.push(record);
    else if (envelope.topic === 'metrics') metrics = envelope;
    else batch.push(envelope);
  }
  if (metrics) batch.push(metrics);
  if (lines.length > 0) batch.push({ topic: 'logs', data: lines });
  if (records.length > 0) batch.push({ topic: 'access', data: records });
  return batch;
}

/** Batches sent and not yet acknowledged, with their estimated bytes: how far behind a client on a port is. */
class Unacknowledged {
  private readonly batches: { seq: number; bytes: number }[] = [];
  bytes = 0;

  sent(seq: number, bytes: number): void {
    this.batches.push({ seq, bytes });
    this.bytes += bytes;
  }

  /** The client has handled every batch up to `seq`. */
  acknowledge(seq: number): void {
    while (this.batches.length > 0 && this.batches[0]!.seq <= seq) this.bytes -= this.batches.shift()!.bytes;
  }
}
