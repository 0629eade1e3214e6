import { describe, expect, it } from 'vitest';
import type { AccessEvent } from '../../shared/proxy.ts';
import { BATCH_BYTES, BATCH_MS, EventBatcher } from '../../main/core/batching/event-batcher.ts';
import { accessEventBytes } from '../../main/core/batching/wire-size.ts';
import { waitFor } from '../helpers/wait.ts';
import { onCleanup, cleanUpAfterEach } from './helpers.ts';

cleanUpAfterEach();

function event(i: number): AccessEvent {
  return { time: i, method: 'GET', path: `/${i}`, status: 200, bytes: 0, duration: 0, route: '/', worker: 'api-1', member: 'api#1@100', requestId: String(i), error: null, attempts: 1 };
}

/** The proxy child's batcher of access events, as proxy-main.ts makes it. */
function accessBatcher(batches: AccessEvent[][]): EventBatcher<AccessEvent> {
  const batcher = new EventBatcher<AccessEvent>({ deliver: (events) => batches.push(events), sizeOf: accessEventBytes });
  onCleanup(() => batcher.dispose());
  return batcher;
}

describe('access events on their way out of the proxy child', () => {
  it('go as a quiet trickle together, about once a frame', async () => {
    const batches: AccessEvent[][] = [];
    const batcher = accessBatcher(batches);
    const started = Date.now();
    batcher.push(event(1));
    batcher.push(event(2));
    expect(batches).toEqual([]);
    await waitFor(() => batches.length === 1, 'the timed flush', { interval: 5 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(BATCH_MS - 5);
    expect(batches[0]!.map((e) => e.path)).toEqual(['/1', '/2']);
  });

  it('go at once when they reach the batch size, and the rest on flush', () => {
    const batches: AccessEvent[][] = [];
    const batcher = accessBatcher(batches);
    let bytes = 0;
    let pushed = 0;
    while (bytes < BATCH_BYTES) {
      const next = event(pushed++);
      bytes += accessEventBytes(next);
      batcher.push(next);
    }
    expect(batches.map((b) => b.length)).toEqual([pushed]);
    batcher.push(event(pushed));
    batcher.flush();
    expect(batches.map((b) => b.length)).toEqual([pushed, 1]);
  });
});
