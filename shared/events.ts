// Everything the core tells a client without being asked, in one typed map, and the messages of a
// session (over a WebSocket, or the desktop app's port): calls and replies, a subscribe that
// answers with a snapshot, then numbered batches of events that the client acknowledges. A client
// that falls too far behind is dropped; it subscribes again saying which log line and access event
// it saw last, and gets only what it missed.

import type { AccessRecord, ConfigOutcome, ControlCall, ControlErrorCode, LoadProgress, StackStatus } from './api.ts';
import type { LogLine, ProcessInfo } from './process.ts';
import type { SchemaFor } from './schema.ts';

/** Traffic of one app (or static site) over one second, from the proxy's access events. */
export interface AppTraffic {
  /** Requests that finished in the second. */
  requests: number;
  /** 5xx answers and requests that got no answer. */
  errors: number;
  /** Latency percentiles in milliseconds, null without requests. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  /** Requests per worker name, for the topology's edges. */
  workers: Record<string, number>;
}

/** One second of traffic through the proxy. */
export interface TrafficSample {
  /** Epoch milliseconds at the start of the second. */
  time: number;
  /** By app or static site name. */
  apps: Record<string, AppTraffic>;
  /** Requests that matched no route or reached no worker. */
  unrouted: number;
}

/** CPU and memory of every process, sampled about once a second. */
export interface MetricsSample {
  time: number;
  processes: { id: string; name: string; cpu: number | null; memory: number | null }[];
}

/** Every event, by topic. */
export interface EventMap {
  /** A process changed state or health (its whole snapshot). */
  process: ProcessInfo;
  /** A run left the stack (replaced by a reload, scaled down, or its app removed). */
  removed: { id: string; name: string };
  /** CPU and memory of every process. */
  metrics: MetricsSample;
  /** Log lines, in seq order. */
  logs: LogLine[];
  /** Access events, in seq order. */
  access: readonly AccessRecord[];
  /** The last second of traffic. */
  traffic: TrafficSample;
  /** A stack file change was applied or refused. */
  config: ConfigOutcome;
  /** A load test's progress. */
  load: LoadProgress;
}

/** A topic of the event map. */
export type EventTopic = keyof EventMap;

/** One event on the wire. */
export type EventEnvelope = { [T in EventTopic]: { topic: T; data: EventMap[T] } }[EventTopic];

/** What a subscriber asks for. */
export interface SubscribeRequest {
  /** The last log seq the client has; it gets later lines only (else the newest `logTail`). */
  logsAfter?: number;
  /** The last access seq the client has. */
  accessAfter?: number;
  /** How many recent lines a client without `logsAfter` gets (default 2,000). */
  logTail?: number;
}

/** How the wire checks a subscribe. */
export const SUBSCRIBE_SCHEMA: SchemaFor<SubscribeRequest> = {
  type: 'object',
  fields: {
    logsAfter: { type: 'number', integer: true, min: 0, optional: true },
    accessAfter: { type: 'number', integer: true, min: 0, optional: true },
    logTail: { type: 'number', integer: true, min: 0, max: 100_000, optional: true },
  },
};

/** The state of the stack at the moment of subscribing; events follow from exactly there. */
export interface Snapshot {
  status: StackStatus;
  processes: ProcessInfo[];
  logs: LogLine[];
  /** Lines the client missed that are no longer retained, or too many to send (it should say so). */
  logsSkipped: number;
  access: AccessRecord[];
  /** Recent seconds of traffic, oldest first. */
  traffic: TrafficSample[];
  config: ConfigOutcome | null;
  loads: LoadProgress[];
}

/** Messages from a client to the core. */
export type ClientMessage =
  | ({ type: 'call'; id: number } & ControlCall)
  | ({ type: 'subscribe' } & SubscribeRequest)
  /** The client has handled every events batch up to `seq`: where the transport cannot tell (the desktop's port), this says how far behind it is. */
  | { type: 'ack'; seq: number };

/** Messages from the core to a client. */
export type ServerMessage =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: { code: ControlErrorCode; message: string } }
  | { type: 'snapshot'; snapshot: Snapshot }
  /** A batch of events; `seq` numbers the session's batches, for the client's `ack`. */
  | { type: 'events'; seq: number; events: EventEnvelope[] }
  /**
   * The core ended the session but not the transport (the desktop's port, which serves the next
   * session): as a WebSocket close with this code and reason. Calls in flight are lost.
   */
  | { type: 'closed'; code: number; reason: string };

/** Close code the core uses for a client that fell too far behind; it may reconnect and resubscribe from the last seq it holds. */
export const CLOSE_TOO_SLOW = 4008;
/** Close code for a refused session (token, Host or Origin). */
export const CLOSE_REFUSED = 4003;

/** WebSocket subprotocol: the first names the protocol, the second carries the token (browsers cannot set headers). */
export const WS_PROTOCOL = 'switchyard.v1';
export const WS_TOKEN_PREFIX = 'token.';
/** Path of the WebSocket endpoint on the control server. */
export const WS_PATH = '/v1/ws';
