import { describe, expect, it } from 'vitest';
import type { ProcessState } from '../../shared/process.ts';
import { HealthTracker, type HealthVerdict } from '../../main/core/health/health-tracker.ts';

const spec = { healthyAfter: 2, unhealthyAfter: 3, restartAfter: 5 };

/** Feeds results (`+` passes, `-` fails, `b` busy) to a worker in `state`, returning each verdict. */
function feed(tracker: HealthTracker, state: ProcessState, results: string): HealthVerdict[] {
  return [...results].map((result) => tracker.record(result === 'b' ? 'busy' : result === '+', state));
}

describe('HealthTracker', () => {
  it('lets a starting worker in after healthy_after passes in a row, saying nothing of failures while it boots', () => {
    const tracker = new HealthTracker(spec);
    expect(tracker.status).toBe('unknown');
    expect(feed(tracker, 'starting', '--+-+')).toEqual(['nothing', 'nothing', 'nothing', 'nothing', 'nothing']);
    expect(feed(tracker, 'starting', '+')).toEqual(['ready']);
    expect(tracker.status).toBe('passing');
  });

  it('takes a ready worker out after unhealthy_after failures in a row, telling each flip on the way', () => {
    const tracker = new HealthTracker(spec);
    feed(tracker, 'starting', '++');
    expect(feed(tracker, 'ready', '+--+--')).toEqual(['nothing', 'status-changed', 'nothing', 'status-changed', 'status-changed', 'nothing']);
    expect(feed(tracker, 'ready', '-')).toEqual(['unhealthy']);
    expect(tracker.status).toBe('failing');
    expect(tracker.fails).toBe(3);
  });

  it('brings an unhealthy worker back after healthy_after passes, or calls it hung after restart_after failures', () => {
    const recovering = new HealthTracker(spec);
    feed(recovering, 'ready', '---');
    expect(feed(recovering, 'unhealthy', '++')).toEqual(['status-changed', 'healthy-again']);
    const hanging = new HealthTracker(spec);
    feed(hanging, 'ready', '---');
    expect(feed(hanging, 'unhealthy', '--')).toEqual(['nothing', 'hung']);
    expect(hanging.fails).toBe(5);
  });

  it('says nothing of a worker on its way out, and forgets everything on reset', () => {
    const tracker = new HealthTracker(spec);
    expect(feed(tracker, 'draining', '-----')).toEqual(['nothing', 'nothing', 'nothing', 'nothing', 'nothing']);
    expect(feed(tracker, 'stopping', '+')).toEqual(['nothing']);
    tracker.reset();
    expect(tracker.status).toBe('unknown');
    expect(tracker.fails).toBe(0);
    expect(feed(tracker, 'starting', '+')).toEqual(['nothing']);
  });

  it('counts a busy result toward nothing: a ready worker stays in however long it is busy, and failures around it still add up', () => {
    const tracker = new HealthTracker(spec);
    feed(tracker, 'starting', '++');
    expect(feed(tracker, 'ready', 'bbbbbbbbbb')).toEqual(['status-changed', ...Array<HealthVerdict>(9).fill('nothing')]);
    expect(tracker.status).toBe('busy');
    expect(tracker.fails).toBe(0);
    // Busy neither breaks nor extends a run of failures.
    expect(feed(tracker, 'ready', '--b-')).toEqual(['status-changed', 'nothing', 'status-changed', 'unhealthy']);
    expect(feed(tracker, 'unhealthy', 'bbbbbb')).toEqual(['status-changed', 'nothing', 'nothing', 'nothing', 'nothing', 'nothing']);
    expect(feed(tracker, 'unhealthy', '-')).toEqual(['status-changed']);
    // A worker that never passed is not in rotation, so it cannot be busy with the proxy's requests.
    const booting = new HealthTracker(spec);
    expect(feed(booting, 'starting', 'b')).toEqual(['nothing']);
  });
});
