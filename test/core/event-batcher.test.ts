import { afterEach, describe, expect, it } from 'vitest';
import { BATCH_BYTES, EventBatcher } from '../../main/core/batching/event-batcher.ts';
import { waitFor } from '../helpers/wait.ts';

const batchers: EventBatcher<unknown>[] = [];
afterEach(() => {
  for (const batcher of batchers.splice(0)) batcher.dispose();
});

/** A batcher of numbers, each `size` bytes, whose consumer is `backlog()` bytes behind. */
function numbers(options: { size?: number; backlog?: () => number; maxBacklog?: number } = {}) {
  const delivered: number[][] = [];
  const discarded: number[][] = [];
  const batcher = new EventBatcher<number>({
    deliver: (batch) => delivered.push(batch),
    sizeOf: () => options.size ?? 10,
    ...(options.backlog ? { backlog: options.backlog, maxBacklog: options.maxBacklog ?? 100 } : {}),
    onBehind: (batch) => discarded.push(batch),
  });
  batchers.push(batcher);
  return { batcher, delivered, discarded };
}

describe('EventBatcher', () => {
  it('delivers what arrived within a frame as one batch, in order', async () => {
    const { batcher, delivered } = numbers();
    for (let n = 1; n <= 5; n++) batcher.push(n);
    expect(delivered).toEqual([]);
    await waitFor(() => delivered.length === 1, 'the timed batch');
    expect(delivered).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('delivers at once when a batch reaches its size', () => {
    const { batcher, delivered } = numbers({ size: BATCH_BYTES / 4 });
    for (let n = 1; n <= 9; n++) batcher.push(n);
    expect(delivered).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
  });

  it('drops a consumer too far behind: the batch is discarded and pushes are ignored until it resumes', () => {
    let backlog = 0;
    const { batcher, delivered, discarded } = numbers({ backlog: () => backlog, maxBacklog: 100 });
    batcher.push(1);
    batcher.flush();
    backlog = 101;
    batcher.push(2);
    batcher.push(3);
    batcher.flush();
    expect(batcher.behind).toBe(true);
    expect(discarded).toEqual([[2, 3]]);
    batcher.push(4);
    batcher.flush();
    expect(discarded).toEqual([[2, 3]]);
    backlog = 0;
    batcher.resume();
    batcher.push(5);
    batcher.flush();
    expect(delivered).toEqual([[1], [5]]);
  });

  it('delivers nothing once disposed', () => {
    const { batcher, delivered } = numbers();
    batcher.push(1);
    batcher.dispose();
    batcher.push(2);
    batcher.flush();
    expect(delivered).toEqual([]);
  });
});
