// Node's HTTP server looks for requests whose head is overdue (headersTimeout) on an interval that
// it starts when it begins listening and stops only when it closes, busy or idle: a wake-up every
// second for a proxy that nobody uses, more than half of an idle proxy's wake-ups. A request head
// can be overdue only while a client is connected, so the sweep runs only then.

import type http from 'node:http';

/** The longest delay a Node timer takes (about 24 days): the sweep, parked. */
const PARKED_MS = 2 ** 31 - 1;
/** Node's own 'listening' listener, which (re)starts the sweep at the server's connectionsCheckingInterval. */
const NODE_SWEEP_SETUP = 'setupConnectionsTracking';

type SweptServer = http.Server & { connectionsCheckingInterval: number };

/**
 * Runs `server`'s header-timeout sweep every `intervalMs` while `open()` (its client connections) is
 * above zero, and parks it while it is zero. Returns what the server's own connection tracking calls
 * whenever a client connects or leaves. On a Node without the listener it restarts, the sweep simply
 * always runs.
 */
export function parkHeaderSweepWhileIdle(server: http.Server, intervalMs: number, open: () => number): () => void {
  const setup = server.listeners('listening').find((listener) => listener.name === NODE_SWEEP_SETUP);
  if (setup === undefined) return () => {};
  const swept = server as SweptServer;
  let running = true;
  const track = () => {
    const wanted = open() > 0;
    if (wanted === running || !server.listening) return;
    running = wanted;
    swept.connectionsCheckingInterval = wanted ? intervalMs : PARKED_MS;
    setup.call(server);
  };
  // After Node's own 'listening' listener, which starts the sweep: parked until a client connects.
  server.on('listening', track);
  return track;
}
