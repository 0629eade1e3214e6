// One coarse clock for the deadlines of every upstream connection (connect, read, idle): a timer set
// and cleared per request costs more than it is worth, so a request only sets a number, and one
// interval, running while any connection is open, checks them all.

/** Checks are this far apart: a deadline fires up to this late. */
export const TICK_MS = 250;

/** Something with a deadline, watched for its whole life. */
export interface Expiring {
  /** A Date.now() time, or 0 for none. */
  readonly deadline: number;
  /** The deadline passed. */
  expired(): void;
}

const watched = new Set<Expiring>();
let ticker: NodeJS.Timeout | null = null;

function tick(): void {
  const now = Date.now();
  for (const item of watched) if (item.deadline !== 0 && item.deadline <= now) item.expired();
  if (watched.size === 0 && ticker !== null) {
    clearInterval(ticker);
    ticker = null;
  }
}

/** Starts checking `item`'s deadline. */
export function watchDeadline(item: Expiring): void {
  watched.add(item);
  if (ticker !== null) return;
  ticker = setInterval(tick, TICK_MS);
  ticker.unref();
}

/** Stops checking `item`'s deadline. */
export function unwatchDeadline(item: Expiring): void {
  watched.delete(item);
}
