// A session with the core over a WebSocket that comes back by itself: capped exponential backoff
// (250 ms doubling to 5 s), at once after the core dropped it for reading too slowly, never after
// a refusal. The token rides in the subprotocol list because browsers cannot set headers.

import { CallError } from '../../../shared/client.ts';
import type { ClientMessage, ServerMessage } from '../../../shared/events.ts';
import { CLOSE_REFUSED, CLOSE_TOO_SLOW, WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../../shared/events.ts';
import { NOT_ANSWERING, REFUSED_MESSAGE } from './dashboard-client.ts';
import { SessionBackedClient } from './session-backed-client.ts';

/** First wait after a lost connection; it doubles up to MAX_BACKOFF_MS. */
export const INITIAL_BACKOFF_MS = 250;
export const MAX_BACKOFF_MS = 5000;

/** The part of a WebSocket the client uses, so that a test can stand in for one. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** How a failed handshake is told apart: `refused` when the core answered 401/403, else `unreachable`. */
export type HandshakeProbe = () => Promise<'refused' | 'unreachable'>;

export interface WebSocketClientOptions {
  /** `ws://127.0.0.1:PORT/v1/ws`. */
  url: string;
  /** Null when the page was opened without one: the client says so and never connects. */
  token: string | null;
  createSocket?: (url: string, protocols: string[]) => SocketLike;
  /** Asked after a socket closed without ever opening. */
  probe?: HandshakeProbe;
  now?: () => number;
}

const OPEN = 1;

export class WebSocketClient extends SessionBackedClient {
  private readonly options: Required<Omit<WebSocketClientOptions, 'token'>> & { token: string | null };
  private socket: SocketLike | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private backoff = INITIAL_BACKOFF_MS;
  private attempt = 0;
  private disposed = false;

  constructor(options: WebSocketClientOptions) {
    super({ status: 'connecting', attempt: 0 });
    this.options = {
      url: options.url,
      token: options.token,
      createSocket: options.createSocket ?? ((url, protocols) => new WebSocket(url, protocols)),
      probe: options.probe ?? (async () => 'unreachable'),
      now: options.now ?? (() => Date.now()),
    };
  }

  /** Opens the first connection. */
  start(): void {
    this.connect();
  }

  retryNow(): void {
    if (this.connection.status !== 'closed') return;
    this.clearRetry();
    this.connect();
  }

  /** Closes the connection for good. */
  dispose(): void {
    this.disposed = true;
    this.clearRetry();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'dashboard closed');
    this.session.disconnected('the dashboard closed');
  }

  private connect(): void {
    if (this.disposed) return;
    const token = this.options.token;
    if (!token) return this.setState({ status: 'refused', reason: REFUSED_MESSAGE });
    this.attempt++;
    this.setState({ status: 'connecting', attempt: this.attempt });
    let opened = false;
    let socket: SocketLike;
    try {
      socket = this.options.createSocket(this.options.url, [WS_PROTOCOL, WS_TOKEN_PREFIX + token]);
    } catch (error) {
      return this.scheduleRetry(error instanceof Error ? error.message : String(error));
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.setState({ status: 'open' });
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      // A session that delivers messages is healthy: the next loss starts from the shortest wait.
      this.backoff = INITIAL_BACKOFF_MS;
      let message: ServerMessage;
      try {
        message = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        console.warn('switchyard: ignored a message that is not JSON');
        return;
      }
      this.session.receive(message);
    };
    socket.onerror = () => {
      // Always followed by close, which decides what happens next.
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const reason = describeClose(event);
      this.session.disconnected(reason);
      if (this.disposed) return;
      if (event.code === CLOSE_REFUSED) return this.setState({ status: 'refused', reason: REFUSED_MESSAGE });
      if (event.code === CLOSE_TOO_SLOW) {
        // Dropped for falling behind: resubscribing from our last seq catches up at once.
        return this.connect();
      }
      if (opened) return this.scheduleRetry(reason);
      // A browser hides why a handshake failed; ask the control API whether it is the token.
      void this.options.probe().then(
        (verdict) => {
          if (this.disposed || this.socket) return;
          if (verdict === 'refused') this.setState({ status: 'refused', reason: REFUSED_MESSAGE });
          else this.scheduleRetry(reason);
        },
        () => this.scheduleRetry(reason),
      );
    };
  }

  private scheduleRetry(reason: string): void {
    if (this.disposed) return;
    const wait = this.backoff;
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, wait);
    this.setState({ status: 'closed', reason, retryAt: this.options.now() + wait });
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  protected send(message: ClientMessage): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) throw new CallError('disconnected', 'not connected to the Switchyard core');
    socket.send(JSON.stringify(message));
  }
}

function describeClose(event: CloseEvent): string {
  if (event.code === CLOSE_TOO_SLOW) return 'the core dropped this page for reading too slowly';
  if (event.reason) return event.reason;
  if (event.code === 1000 || event.code === 1001) return 'the core closed the connection';
  return NOT_ANSWERING;
}

/** Asks the control API with the token whether the core refuses it (401/403) or cannot be reached. */
export function httpProbe(origin: string, token: string | null): HandshakeProbe {
  return async () => {
    try {
      const response = await fetch(`${origin}/v1/call`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? ''}` },
        body: JSON.stringify({ method: 'status', args: [] }),
      });
      return response.status === 401 || response.status === 403 ? 'refused' : 'unreachable';
    } catch {
      return 'unreachable';
    }
  };
}
