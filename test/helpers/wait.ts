// Polling instead of sleeping: tests wait for a condition, never for a guessed duration.

/** Polls `check` until it returns a truthy value or `timeout` passes, then throws with `what`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  { timeout = 10_000, interval = 25 }: { timeout?: number; interval?: number } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout}ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Something with a named process whose state can be read. */
export interface HasProcesses {
  processes(): { name: string; state: string }[];
}

/** Waits until process `name` is in `state` (any of them, for a list). */
export function waitForState(
  source: HasProcesses | { name: string; state: string },
  name: string,
  state: string | string[],
  timeout = 10_000,
): Promise<true> {
  const wanted = Array.isArray(state) ? state : [state];
  const current = () =>
    'processes' in source ? source.processes().find((p) => p.name === name)?.state : source.name === name ? source.state : undefined;
  return waitFor(() => wanted.includes(current() ?? '') || undefined, `${name} to be ${wanted.join(' or ')} (is ${current()})`, {
    timeout,
  }) as Promise<true>;
}

/** A stack whose processes and log lines a failed wait reports. */
export interface ReportsProcesses {
  processes(): { name: string; state: string; reason: string | null }[];
  logs: { query(query: { sources: null; tail: number }): { source: string; text: string }[] };
}

/** Waits until every process of `stack` is ready; a timeout names each one's state and the last log lines. */
export async function waitForEveryProcessReady(stack: ReportsProcesses): Promise<void> {
  await waitFor(() => stack.processes().every((p) => p.state === 'ready'), 'every process ready').catch((error: Error) => {
    const states = stack.processes().map((p) => `${p.name} ${p.state} ${p.reason ?? ''}`);
    const logs = stack.logs.query({ sources: null, tail: 30 }).map((line) => `${line.source}: ${line.text}`);
    throw new Error(`${error.message}\n${states.join('\n')}\n${logs.join('\n')}`);
  });
}

/**
 * Lets `ms` pass before asserting that something did not happen (no request after a stop, no
 * second notification). Only for absences: it gives a mistake time to show, and a busy machine can
 * only make it miss one, never fail a test that is right. To wait for something, use waitFor.
 */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
