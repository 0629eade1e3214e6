// The one interface the dashboard depends on: the control API, the subscription and the state of
// the connection. A WebSocket implements it in a browser, the desktop app's bridge inside it, and
// tests hand the views a fake.

import type { ControlApi } from '../../../shared/api.ts';
import type { EventEnvelope, Snapshot, SubscribeRequest } from '../../../shared/events.ts';

/** Where the connection to the core stands. */
export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'open' }
  /** Lost or never made; another attempt starts at `retryAt` (epoch milliseconds). */
  | { status: 'closed'; reason: string; retryAt: number }
  /** The core refused the session (token, Host or Origin); retrying cannot help. */
  | { status: 'refused'; reason: string };

/** What the views need from a session with the core. */
export interface DashboardClient {
  /** The contract's commands; each rejects with a CallError. */
  readonly api: ControlApi;
  /** Asks for a snapshot and the events after it; call it each time the connection opens. */
  subscribe(request: SubscribeRequest): void;
  onSnapshot(listener: (snapshot: Snapshot) => void): () => void;
  onEvents(listener: (events: EventEnvelope[]) => void): () => void;
  readonly connection: ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** Skips the backoff wait and connects now. */
  retryNow(): void;
}

/** Why a connection was lost when the core gave no reason (it stopped, or the machine slept). */
export const NOT_ANSWERING = 'the Switchyard core is not answering';

/** Shown when the core refuses the token, whichever way it says so. */
export const REFUSED_MESSAGE = 'token missing or wrong: open the URL `switchyard up` printed';
