// The body cache's budget and its idle sweep, on fake timers.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BodyCache, IDLE_SWEEP_MS } from '../../main/core/static/body-cache.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('BodyCache', () => {
  it('serves a body only at the version it was stored at', () => {
    const cache = new BodyCache(1024, 512);
    cache.set('/a', 'v1', Buffer.from('one'));
    expect(cache.get('/a', 'v1')?.toString()).toBe('one');
    expect(cache.get('/a', 'v2')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps no body larger than its entry limit and stays within its budget', () => {
    const cache = new BodyCache(1000, 400);
    cache.set('/big', 'v', Buffer.alloc(401));
    expect(cache.get('/big', 'v')).toBeUndefined();
    for (let i = 0; i < 5; i++) cache.set(`/f${i}`, 'v', Buffer.alloc(300));
    expect(cache.size).toBeLessThanOrEqual(1000);
  });

  it('gives back bodies left unused for a whole sweep interval, and keeps those in use', () => {
    const cache = new BodyCache(1024, 512);
    cache.set('/hot', 'v', Buffer.alloc(100));
    cache.set('/cold', 'v', Buffer.alloc(100));
    vi.advanceTimersByTime(IDLE_SWEEP_MS);
    expect(cache.size).toBe(200);
    cache.get('/hot', 'v');
    vi.advanceTimersByTime(IDLE_SWEEP_MS);
    expect(cache.get('/cold', 'v')).toBeUndefined();
    expect(cache.get('/hot', 'v')).toBeDefined();
    vi.advanceTimersByTime(3 * IDLE_SWEEP_MS);
    expect(cache.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
