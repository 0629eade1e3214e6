// The metrics sampler runs seldom at rest and often while someone watches: a watch samples at once
// and switches to the watched interval; when the last watch ends it goes back to the rest interval.
// The target is this test's own process, sampled for real from /proc.

import { describe, expect, it } from 'vitest';
import { MetricsSampler, type SampleTarget, type TreeSample } from '../../main/core/metrics/metrics-sampler.ts';
import { waitFor } from '../helpers/wait.ts';

describe.runIf(process.platform === 'linux')('the metrics cadence', () => {
  it('samples at once when watched, at the watched interval while watched, and goes back to rest', async () => {
    const samples: (TreeSample | null)[] = [];
    const self: SampleTarget = { currentPid: process.pid, recordUsage: (sample) => samples.push(sample) };
    let rounds = 0;
    // A rest interval far longer than any test: only a watch can bring rounds.
    const sampler = new MetricsSampler(() => [self], () => rounds++, 20, 3_600_000);
    sampler.start();
    try {
      expect(sampler.interval).toBe(3_600_000);
      const first = sampler.watch();
      const second = sampler.watch();
      expect(sampler.interval).toBe(20);
      await waitFor(() => rounds >= 3, 'rounds at the watched interval');
      expect(samples.at(-1)?.memory).toBeGreaterThan(1024 * 1024);
      first.dispose();
      first.dispose();
      expect(sampler.interval).toBe(20);
      second.dispose();
      expect(sampler.interval).toBe(3_600_000);
    } finally {
      sampler.stop();
    }
  });
});
