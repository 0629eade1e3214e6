import { describe, expect, it } from 'vitest';
import { Ring } from './ring.ts';

describe('Ring', () => {
  it('keeps the newest items up to its capacity, at stable absolute positions', () => {
    const ring = new Ring<number>(3);
    for (let value = 0; value < 5; value++) ring.push(value);
    expect(ring.size).toBe(3);
    expect(ring.start).toBe(2);
    expect(ring.end).toBe(5);
    expect(ring.toArray()).toEqual([2, 3, 4]);
    expect(ring.at(1)).toBeUndefined();
    expect(ring.at(4)).toBe(4);
    expect(ring.last()).toBe(4);
  });

  it('clears into a new epoch', () => {
    const ring = new Ring<number>(3);
    ring.push(1);
    const epoch = ring.epoch;
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.last()).toBeUndefined();
    expect(ring.epoch).not.toBe(epoch);
  });

  it('finds the first position at or after a key', () => {
    const ring = new Ring<number>(4);
    for (const value of [10, 20, 30, 40, 50]) ring.push(value);
    const key = (value: number) => value;
    expect(ring.lowerBound(25, key)).toBe(2);
    expect(ring.lowerBound(5, key)).toBe(1);
    expect(ring.lowerBound(99, key)).toBe(5);
  });
});
