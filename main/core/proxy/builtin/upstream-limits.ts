// How long and how many upstream connections are kept, and how long one may take to open: the
// builtin proxy's client applies them, and the nginx engine writes the same into its upstreams. A
// file of its own so that the core, which renders nginx's upstreams, does not load the HTTP client.

/**
 * Idle keep-alive sockets are closed before the upstream closes them, or a request written onto a
 * socket the upstream is closing fails (nodejs/node #47130). With a `Keep-Alive: timeout=N` hint we
 * keep N minus this margin; without one, less than gunicorn's 2 s default.
 */
export const KEEP_ALIVE_MARGIN_MS = 1000;
/** Idle time of an upstream socket when the upstream sent no `Keep-Alive: timeout` hint. */
export const DEFAULT_IDLE_MS = 1500;
/**
 * The longest an upstream socket stays idle whatever the upstream's hint (nginx's upstream
 * `keepalive_timeout`): a worker hinting 120 s would otherwise keep a burst's sockets for two minutes.
 */
export const IDLE_MAX_MS = 4000;
/** Idle sockets kept per origin (nginx's upstream `keepalive N`); more are closed, the one idle longest first. */
export const MAX_IDLE_PER_ORIGIN = 32;
/** Connecting to a loopback worker either works at once or not at all. */
export const CONNECT_TIMEOUT_MS = 3000;

/** How long a socket is kept idle after a response that hinted `Keep-Alive: timeout` of `hintMs` (-1: no hint); 0 or less: not kept. */
export function keptIdleFor(hintMs: number): number {
  if (hintMs < 0) return DEFAULT_IDLE_MS;
  return Math.min(hintMs - KEEP_ALIVE_MARGIN_MS, IDLE_MAX_MS);
}
