import { describe, expect, it } from 'vitest';
import type { AccessEvent } from '../../shared/proxy.ts';
import { ACCESS_BATCH_MAX, ACCESS_FLUSH_MS, AccessBatcher } from '../../main/core/proxy/builtin/access-batcher.ts';
import { waitFor } from '../helpers/wait.ts';
import { onCleanup, cleanUpAfterEach } from './helpers.ts';

cleanUpAfterEach();

function event(i: number): AccessEvent {
  return { time: i, method: 'GET', path: `/${i}`, status: 200, bytes: 0, duration: 0, route: '/', worker: 'api-1', member: 'api#1@100', requestId: String(i), error: null, attempts: 1 };
}

describe('AccessBatcher', () => {
  it('sends a quiet trickle of events together, about every 50 ms', async () => {
    const batches: AccessEvent[][] = [];
    const batcher = new AccessBatcher((events) => batches.push(events));
    onCleanup(() => batcher.dispose());
    const started = Date.now();
    batcher.push(event(1));
    batcher.push(event(2));
    expect(batches).toEqual([]);
    await waitFor(() => batches.length === 1, 'the timed flush', { interval: 5 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(ACCESS_FLUSH_MS - 5);
    expect(batches[0]!.map((e) => e.path)).toEqual(['/1', '/2']);
  });

  it('sends a full batch at once', () => {
    const batches: AccessEvent[][] = [];
    const batcher = new AccessBatcher((events) => batches.push(events));
    onCleanup(() => batcher.dispose());
    for (let i = 0; i < ACCESS_BATCH_MAX + 1; i++) batcher.push(event(i));
    expect(batches.map((b) => b.length)).toEqual([ACCESS_BATCH_MAX]);
    batcher.flush();
    expect(batches.map((b) => b.length)).toEqual([ACCESS_BATCH_MAX, 1]);
  });
});
