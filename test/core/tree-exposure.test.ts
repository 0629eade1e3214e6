// TreeExposure reads the kernel's socket tables every round while a tree is new or changing, and
// once per 30 s period of the clock once its processes have stayed the same for 5 s. Real listeners of this process
// on 0.0.0.0 and the real /proc tables; the clock is the `now` each round passes in.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { exposedSockets, SETTLED_AFTER_MS, SETTLED_RECHECK_MS, TreeExposure } from '../../main/core/metrics/listeners.ts';

describe.runIf(process.platform === 'linux')('TreeExposure', () => {
  it('sees a bind while the tree is young, and reads the tables only every 30 s once it settled', async () => {
    let reads = 0;
    const tables = () => {
      reads++;
      return exposedSockets();
    };
    const exposure = new TreeExposure();
    const pids = [process.pid];
    expect(exposure.of(pids, tables, 0)).toEqual([]);
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    try {
      const address = `0.0.0.0:${(server.address() as AddressInfo).port}`;
      // Young: every round looks, so a bind made after the spawn shows at the next round.
      expect(exposure.of(pids, tables, SETTLED_AFTER_MS - 1)).toContain(address);
      expect(reads).toBe(2);
      // Settled (the same processes for 5 s): the answer is kept, and the tables are read again once
      // per 30 s period of the clock, the same for every tree.
      expect(exposure.of(pids, tables, SETTLED_RECHECK_MS - 1)).toContain(address);
      expect(reads).toBe(2);
      expect(exposure.of(pids, tables, SETTLED_RECHECK_MS)).toContain(address);
      expect(reads).toBe(3);
      expect(exposure.of(pids, tables, 2 * SETTLED_RECHECK_MS - 1)).toContain(address);
      expect(reads).toBe(3);
      // A new process in the tree makes it young again.
      expect(exposure.of([...pids, 1], tables, 2 * SETTLED_RECHECK_MS - 1)).toContain(address);
      expect(reads).toBe(4);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
