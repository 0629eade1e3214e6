import { describe, expect, it } from 'vitest';
import { untilBeat } from '../../main/core/batching/beat.ts';

describe('untilBeat', () => {
  it('waits for the next multiple of the period, at least half a period away', () => {
    expect(untilBeat(5000, 100_000)).toBe(5000);
    expect(untilBeat(5000, 100_002)).toBe(4998);
    expect(untilBeat(5000, 102_499)).toBe(2501);
    // Less than half a period before a beat: the one after it.
    expect(untilBeat(5000, 102_501)).toBe(7499);
    expect(untilBeat(5000, 104_999)).toBe(5001);
  });

  it('keeps work of one period on the same beats wherever it began, and on the beats of a longer multiple', () => {
    const at = (start: number, period: number) => start + untilBeat(period, start);
    expect(new Set([100_003, 101_200, 102_400, 103_999].map((start) => at(start, 5000) % 5000))).toEqual(new Set([0]));
    expect(at(108_001, 10_000) % 5000).toBe(0);
  });
});
