import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../shared/process.ts';
import { logLine } from '../testing/fixtures.ts';
import { compileSearch, FilteredRing, LogViewCache, logPredicate, plainText } from './log-filter.ts';
import { Ring } from './ring.ts';

const all = { source: null, search: '', stderrOnly: false };

function lines(view: { count: number; at(index: number): LogLine | undefined }): string[] {
  return Array.from({ length: view.count }, (_, index) => view.at(index)?.text ?? '?');
}

describe('log filtering', () => {
  it('strips colour codes before searching', () => {
    expect(plainText('\u001b[31merror\u001b[0m: boom')).toBe('error: boom');
    const predicate = logPredicate({ ...all, search: '^error:' });
    expect(predicate?.(logLine('\u001b[31merror\u001b[0m: boom'))).toBe(true);
  });

  it('says why a search is not a regex, and then filters nothing by text', () => {
    expect(compileSearch('a(').error).toMatch(/unterminated|group/i);
    expect(logPredicate({ ...all, search: 'a(' })).toBeNull();
  });

  it('matches an app by its workers but not another app sharing a prefix', () => {
    const predicate = logPredicate({ ...all, source: { kind: 'app', name: 'api' } });
    expect(predicate?.(logLine('', { source: 'api-3' }))).toBe(true);
    expect(predicate?.(logLine('', { source: 'api' }))).toBe(true);
    expect(predicate?.(logLine('', { source: 'api-admin-1' }))).toBe(false);
  });

  it('filters incrementally: new lines cost only themselves, evicted matches disappear', () => {
    const ring = new Ring<LogLine>(5);
    let tested = 0;
    const view = new FilteredRing(ring, (line) => {
      tested++;
      return line.stream === 'stderr';
    });
    ring.push(logLine('a', { stream: 'stderr' }));
    ring.push(logLine('b'));
    ring.push(logLine('c', { stream: 'stderr' }));
    expect(view.advance(100)).toBe(true);
    expect(lines(view)).toEqual(['a', 'c']);
    expect(tested).toBe(3);
    ring.push(logLine('d', { stream: 'stderr' }));
    view.advance(100);
    expect(tested).toBe(4);
    ring.push(logLine('e'));
    ring.push(logLine('f'));
    view.advance(100);
    // 'a' was evicted by the sixth line.
    expect(lines(view)).toEqual(['c', 'd']);
  });

  it('scans 100,000 lines in bounded slices', () => {
    const ring = new Ring<LogLine>(100_000);
    for (let index = 0; index < 100_000; index++) ring.push(logLine(`line ${index}`, { stream: index % 10 === 0 ? 'stderr' : 'stdout' }));
    const view = new FilteredRing(ring, (line) => /line \d*7$/.test(line.text));
    let slices = 0;
    while (!view.advance(1)) slices++;
    expect(view.count).toBe(10_000);
    expect(view.progress).toBe(1);
    expect(slices).toBeGreaterThanOrEqual(0);
  });

  it('starts over after the ring is cleared', () => {
    const ring = new Ring<LogLine>(5);
    const view = new FilteredRing(ring, () => true);
    ring.push(logLine('old'));
    view.advance(10);
    ring.clear();
    ring.push(logLine('new'));
    view.advance(10);
    expect(lines(view)).toEqual(['new']);
  });

  it('caches views per filter and reads the whole ring without a filter', () => {
    const ring = new Ring<LogLine>(10);
    ring.push(logLine('x', { stream: 'stderr' }));
    ring.push(logLine('y'));
    const cache = new LogViewCache(ring);
    const errors = cache.view({ ...all, stderrOnly: true });
    expect(cache.view({ ...all, stderrOnly: true })).toBe(errors);
    const whole = cache.view(all);
    expect(lines(whole)).toEqual(['x', 'y']);
    errors.advance(10);
    expect(lines(errors)).toEqual(['x']);
  });
});
