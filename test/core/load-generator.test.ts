import { describe, expect, it } from 'vitest';
import type { LoadProgress, LoadSpec } from '../../shared/api.ts';
import { SwitchyardError } from '../../main/core/errors.ts';
import { LOAD_HEADER, LoadGenerator } from '../../main/core/load/load-generator.ts';
import type { LoadGeneratorOptions, LoadTarget } from '../../main/core/load/load-generator.ts';
import { quietPeriod, waitFor } from '../helpers/wait.ts';
import { cleanUpAfterEach, onCleanup, refusedPort, startUpstream } from '../proxy/helpers.ts';

cleanUpAfterEach();

/** A LoadGenerator aimed at `target` (a port on 127.0.0.1), recording every progress it reports; disposed after the test. */
function generator(
  target: number | (() => LoadTarget | null),
  options: Partial<LoadGeneratorOptions> = {},
): { loads: LoadGenerator; progress: LoadProgress[] } {
  const progress: LoadProgress[] = [];
  const loads = new LoadGenerator({
    target: typeof target === 'number' ? () => ({ host: '127.0.0.1', port: target }) : target,
    onProgress: (p) => progress.push(p),
    ...options,
  });
  onCleanup(() => loads.dispose());
  return { loads, progress };
}

/** The final progress of test `id`, once reported. */
function ended(progress: LoadProgress[], id: string): Promise<LoadProgress> {
  return waitFor(() => progress.find((p) => p.id === id && p.state !== 'running'), `load test ${id} to end`, { timeout: 20_000, interval: 10 });
}

/** The SwitchyardError `run` throws. */
function refusal(run: () => unknown): SwitchyardError {
  try {
    run();
  } catch (error) {
    if (error instanceof SwitchyardError) return error;
    throw error;
  }
  throw new Error('expected a refusal, but it was accepted');
}

describe('LoadGenerator', () => {
  it('sends at the asked rate, open loop, marking each request with the test id', async () => {
    const upstream = await startUpstream();
    const { loads, progress } = generator(upstream.port);
    const first = loads.start({ path: '/hello?x=1', rate: 200, duration: 2 });
    expect(first).toMatchObject({ state: 'running', sent: 0, spec: { path: '/hello?x=1', rate: 200, duration: 2, method: 'GET' } });

    const last = await ended(progress, first.id);
    expect(last.state).toBe('done');
    // Every request due in the 2 s goes out, or is skipped while too many are unanswered (a busy machine).
    expect(last.sent + last.skipped).toBe(400);
    expect(last.sent).toBeGreaterThan(0);
    expect(last).toMatchObject({ ok: last.sent, failed: 0, statuses: { '2xx': last.sent }, errors: [] });
    expect(last.p50).not.toBeNull();
    expect(last.elapsed).toBeGreaterThanOrEqual(2);
    expect(upstream.requests).toHaveLength(last.sent);
    expect(upstream.requests.every((r) => r.url === '/hello?x=1' && r.headers[LOAD_HEADER] === first.id)).toBe(true);
    // Paced by its own clock: no report shows more requests than were due by its elapsed time (one
    // more for the millisecond rounding), so they did not leave in a burst.
    const running = progress.filter((p) => p.state === 'running');
    for (const p of running) expect(p.sent + p.skipped, `at ${p.elapsed} s`).toBeLessThanOrEqual(Math.floor(Math.min(p.elapsed, 2) * 200) + 1);
    // Reports while running (the first one 250 ms in), then exactly one final report.
    expect(running.length).toBeGreaterThanOrEqual(1);
    expect(running[0]!.elapsed).toBeGreaterThanOrEqual(0.25);
    expect(progress.filter((p) => p.state !== 'running')).toHaveLength(1);
  });

  it('counts 5xx answers as failures, by status class, keeping the last five', async () => {
    const upstream = await startUpstream((req, res) => {
      res.statusCode = req.url === '/broken' ? 503 : 200;
      res.end();
    });
    const { loads, progress } = generator(upstream.port);
    const good = loads.start({ path: '/ok', rate: 30, duration: 1 });
    const bad = loads.start({ path: '/broken', rate: 30, duration: 1, method: 'POST' });

    const [goodEnd, badEnd] = await Promise.all([ended(progress, good.id), ended(progress, bad.id)]);
    expect(goodEnd).toMatchObject({ sent: 30, ok: 30, failed: 0, statuses: { '2xx': 30 } });
    expect(badEnd).toMatchObject({ sent: 30, ok: 0, failed: 30, statuses: { '5xx': 30 } });
    expect(badEnd.errors).toEqual(Array(5).fill('503 from /broken'));
    expect(upstream.requests.filter((r) => r.url === '/broken').every((r) => r.method === 'POST')).toBe(true);
  });

  it('counts refused connections as failures', async () => {
    const { loads, progress } = generator(await refusedPort());
    const { id } = loads.start({ path: '/', rate: 20, duration: 1 });
    const last = await ended(progress, id);
    expect(last).toMatchObject({ state: 'done', sent: 20, ok: 0, failed: 20, statuses: { error: 20 }, p50: null });
    expect(last.errors).toContain('ECONNREFUSED');
  });

  it('skips due requests while the cap is outstanding, and times out the unanswered ones', async () => {
    // Never answers.
    const upstream = await startUpstream(() => {});
    const { loads, progress } = generator(upstream.port, { maxConcurrency: 4, drainMs: 200 });
    const { id } = loads.start({ path: '/hang', rate: 100, duration: 1 });
    const last = await ended(progress, id);
    expect(last).toMatchObject({ state: 'done', sent: 4, skipped: 96, ok: 0, failed: 4, statuses: { error: 4 } });
    expect(last.errors).toEqual(Array(4).fill('timeout'));
  });

  it('stops early on request and reports the test as stopped', async () => {
    const upstream = await startUpstream();
    const { loads, progress } = generator(upstream.port);
    const { id } = loads.start({ path: '/', rate: 50, duration: 60 });
    await waitFor(() => progress.some((p) => p.id === id && p.sent >= 10), 'ten requests sent', { interval: 10 });

    const last = await loads.stop(id);
    expect(last).toMatchObject({ id, state: 'stopped', failed: 0 });
    expect(last.ok).toBe(last.sent);
    const sent = upstream.requests.length;
    expect(sent).toBe(last.sent);
    // Nothing more goes out (its pacing ticks every 10 ms), and stopping again just reports.
    await quietPeriod(100);
    expect(upstream.requests).toHaveLength(sent);
    expect(await loads.stop(id)).toEqual(last);
    expect(loads.list()).toEqual([last]);
    expect(progress.filter((p) => p.state === 'stopped')).toHaveLength(1);
  });

  it('refuses to stop a test it does not know', async () => {
    const { loads } = generator(await refusedPort());
    await expect(loads.stop('load-99')).rejects.toMatchObject({ code: 'not-found', message: expect.stringContaining('load-99') });
  });

  it('sends only to loopback, reaching a proxy on all interfaces through 127.0.0.1', async () => {
    const upstream = await startUpstream();
    let target: LoadTarget | null = { host: '10.0.0.1', port: upstream.port };
    const { loads, progress } = generator(() => target);
    const spec: LoadSpec = { path: '/', rate: 5, duration: 1 };

    const far = refusal(() => loads.start(spec));
    expect(far.code).toBe('bad-request');
    expect(far.message).toMatch(/only send to loopback.*10\.0\.0\.1.*127\.0\.0\.1/);
    target = { host: 'example.com', port: upstream.port };
    expect(refusal(() => loads.start(spec)).message).toContain('example.com');
    target = null;
    expect(refusal(() => loads.start(spec)).message).toMatch(/not listening.*start the proxy/);
    expect(loads.list()).toEqual([]);

    target = { host: 'localhost', port: upstream.port };
    const viaName = loads.start(spec);
    target = { host: '0.0.0.0', port: upstream.port };
    const viaAny = loads.start(spec);
    const ends = await Promise.all([ended(progress, viaName.id), ended(progress, viaAny.id)]);
    expect(ends.map((p) => p.ok)).toEqual([5, 5]);
    expect(upstream.requests).toHaveLength(10);
  });

  it('refuses invalid specs, naming the field and its valid range', async () => {
    const { loads } = generator(await refusedPort());
    const valid: LoadSpec = { path: '/', rate: 10, duration: 1 };
    const cases: [Partial<Record<keyof LoadSpec, unknown>>, RegExp][] = [
      [{ path: 'api' }, /path must start with a single \//],
      [{ path: 'http://example.com/' }, /path must start with a single \//],
      [{ path: '//example.com/x' }, /path .*no scheme or host/],
      [{ path: '/a b' }, /path .*printable ASCII/],
      [{ rate: 0 }, /rate .*from 1 to 5000 \(got 0\)/],
      [{ rate: 5001 }, /rate .*from 1 to 5000/],
      [{ rate: 2.5 }, /rate must be a whole number/],
      [{ rate: '10' }, /rate .*from 1 to 5000/],
      [{ duration: 0 }, /duration .*from 1 to 600 seconds/],
      [{ duration: 601 }, /duration .*from 1 to 600 seconds/],
      [{ duration: Number.NaN }, /duration .*from 1 to 600 seconds/],
      [{ method: 'DELETE' }, /method must be one of GET, HEAD, POST \(got DELETE\)/],
    ];
    for (const [change, message] of cases) {
      const error = refusal(() => loads.start({ ...valid, ...change } as LoadSpec));
      expect(error.code).toBe('bad-request');
      expect(error.message).toMatch(message);
    }
    expect(loads.list()).toEqual([]);
  });

  it('runs at most two tests at once', async () => {
    const upstream = await startUpstream();
    const { loads } = generator(upstream.port);
    const spec: LoadSpec = { path: '/', rate: 5, duration: 30 };
    const one = loads.start(spec);
    const two = loads.start(spec);

    const third = refusal(() => loads.start(spec));
    expect(third.code).toBe('bad-request');
    expect(third.message).toContain(`already running (${one.id}, ${two.id})`);
    expect(loads.list().map((p) => p.state)).toEqual(['running', 'running']);

    await loads.stop(one.id);
    const three = loads.start(spec);
    expect(loads.list().map((p) => [p.id, p.state])).toEqual([
      [one.id, 'stopped'],
      [two.id, 'running'],
      [three.id, 'running'],
    ]);
  });

  it('remembers only the last five finished tests', async () => {
    const upstream = await startUpstream();
    const { loads } = generator(upstream.port);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { id } = loads.start({ path: '/', rate: 1, duration: 60 });
      ids.push(id);
      await loads.stop(id);
    }
    expect(loads.list().map((p) => p.id)).toEqual(ids.slice(2));
  });

  it('ends every test on dispose and starts no more', async () => {
    const upstream = await startUpstream(() => {});
    const { loads, progress } = generator(upstream.port);
    const { id } = loads.start({ path: '/', rate: 100, duration: 30 });
    await waitFor(() => upstream.requests.length > 0, 'a request to arrive', { interval: 10 });

    await loads.dispose();
    const last = progress.at(-1);
    expect(last).toMatchObject({ id, state: 'stopped' });
    expect(last?.failed).toBe(last?.sent);
    expect(refusal(() => loads.start({ path: '/', rate: 1, duration: 1 })).message).toMatch(/shutting down/);
  });
});
