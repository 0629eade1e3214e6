import { describe, expect, it } from 'vitest';
import type { PassiveMark } from '../../shared/proxy.ts';
import { ConnectionPools } from '../../main/core/proxy/builtin/connection-pools.ts';
import { MemberRegistry, PASSIVE_OUT_MS } from '../../main/core/proxy/builtin/member-registry.ts';
import { waitFor } from '../helpers/wait.ts';
import { accessFor, app, cleanUpAfterEach, config, member, onCleanup, proxyTo, refusedPort, route, send, startProxy, startUpstream } from './helpers.ts';
import type { Upstream } from './helpers.ts';

cleanUpAfterEach();

/** Upstreams that answer with their own name; `/hold` waits until released. */
async function namedUpstreams(count: number): Promise<{ upstreams: Upstream[]; release: () => void }> {
  const held: (() => void)[] = [];
  const upstreams = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      startUpstream((req, res) => {
        if (req.url === '/hold') held.push(() => res.end(`api-${i + 1}`));
        else res.end(`api-${i + 1}`);
      }),
    ),
  );
  return { upstreams, release: () => held.splice(0).forEach((answer) => answer()) };
}

async function bodies(port: number, paths: string[], options: Parameters<typeof send>[2] = {}): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) out.push((await send(port, path, options)).body);
  return out;
}

describe('round-robin', () => {
  it('takes the ready workers in turn', async () => {
    const { upstreams } = await namedUpstreams(3);
    const { port } = await proxyTo(upstreams.map((u) => u.port));
    expect(await bodies(port, ['/', '/', '/', '/', '/', '/'])).toEqual(['api-1', 'api-2', 'api-3', 'api-1', 'api-2', 'api-3']);
  });

  it('gives new requests to ready members only: none to draining or down ones', async () => {
    const { upstreams } = await namedUpstreams(3);
    const members = [member('api-1', upstreams[0]!.port, 'down'), member('api-2', upstreams[1]!.port, 'ready'), member('api-3', upstreams[2]!.port, 'draining')];
    const { port } = await startProxy(config([route('/', 'api')], [app('api', members)]));
    expect(await bodies(port, ['/', '/', '/', '/'])).toEqual(['api-2', 'api-2', 'api-2', 'api-2']);
    expect(upstreams[0]!.requests).toHaveLength(0);
    expect(upstreams[2]!.requests).toHaveLength(0);
  });
});

describe('least-conn', () => {
  it('sends to the member with the fewest requests in flight, and round-robin on ties', async () => {
    const { upstreams, release } = await namedUpstreams(2);
    const running = await proxyTo(
      upstreams.map((u) => u.port),
      'least-conn',
    );
    const { port } = running;
    const held = send(port, '/hold');
    await waitFor(() => upstreams[0]!.requests.length === 1, 'the held request to reach api-1');
    expect(await bodies(port, ['/', '/', '/'])).toEqual(['api-2', 'api-2', 'api-2']);
    release();
    expect((await held).body).toBe('api-1');
    // Its access event comes once the proxy is done with it, api-1's count of requests included.
    await accessFor(running, '/hold');
    const tied = await bodies(port, ['/', '/', '/', '/']);
    expect(tied.sort()).toEqual(['api-1', 'api-1', 'api-2', 'api-2']);
  });
});

describe('ip-hash', () => {
  const clients = Array.from({ length: 12 }, (_, i) => `127.0.0.${i + 1}`);

  it('keeps each client on one worker, and moves only the clients of a worker that leaves', async () => {
    const { upstreams } = await namedUpstreams(3);
    const ports = upstreams.map((u) => u.port);
    const { port, proxy } = await proxyTo(ports, 'ip-hash');
    const assigned = new Map<string, string>();
    for (const ip of clients) {
      const seen = await bodies(port, ['/', '/', '/'], { localAddress: ip });
      expect(new Set(seen).size).toBe(1);
      assigned.set(ip, seen[0]!);
    }
    // Twelve clients over three workers: each worker has some.
    expect(new Set(assigned.values()).size).toBe(3);

    proxy.setMembers('api', [member('api-1', ports[0]!), member('api-2', ports[1]!, 'down'), member('api-3', ports[2]!)]);
    for (const ip of clients) {
      const now = (await send(port, '/', { localAddress: ip })).body;
      const before = assigned.get(ip)!;
      expect(now).toBe(before === 'api-2' ? 'api-3' : before);
    }
  });
});

describe('draining', () => {
  it('finishes the in-flight request of a draining member, sends it nothing new, and reports it drained after', async () => {
    const { upstreams, release } = await namedUpstreams(2);
    const ports = upstreams.map((u) => u.port);
    const { port, proxy } = await proxyTo(ports);
    const drained: string[] = [];
    proxy.onDrained((id) => drained.push(id));
    const slow = send(port, '/hold');
    const api1 = `api-1@${ports[0]}`;
    await waitFor(() => upstreams[0]!.requests.length === 1, 'the slow request to reach api-1');

    proxy.setMembers('api', [member('api-1', ports[0]!, 'draining'), member('api-2', ports[1]!)]);
    expect(await bodies(port, ['/', '/', '/'])).toEqual(['api-2', 'api-2', 'api-2']);
    expect(drained).toEqual([]);

    release();
    expect(await slow).toMatchObject({ status: 200, body: 'api-1' });
    await waitFor(() => drained.length === 1, 'onDrained for api-1');
    expect(drained).toEqual([api1]);
    expect(upstreams[0]!.requests).toHaveLength(1);
  });

  it('reports a draining member with nothing in flight at once, and only once', async () => {
    const { upstreams } = await namedUpstreams(2);
    const ports = upstreams.map((u) => u.port);
    const { proxy } = await proxyTo(ports);
    const drained: string[] = [];
    proxy.onDrained((id) => drained.push(id));
    const draining = [member('api-1', ports[0]!, 'draining'), member('api-2', ports[1]!)];
    proxy.setMembers('api', draining);
    expect(drained).toEqual([`api-1@${ports[0]}`]);
    proxy.setMembers('api', draining);
    expect(drained).toHaveLength(1);
  });
});

describe('passive failure marking', () => {
  it('takes a member that refuses connections out for a while, reports it, and brings it back after', async () => {
    const dead = await refusedPort();
    const { upstreams } = await namedUpstreams(2);
    const running = await proxyTo([dead, upstreams[1]!.port]);
    const marks: PassiveMark[] = [];
    running.proxy.onPassive((mark) => marks.push(mark));

    const sent = Date.now();
    expect((await send(running.port, '/first')).body).toBe('api-2');
    const answered = Date.now();
    expect(await accessFor(running, '/first')).toMatchObject({ attempts: 2, worker: 'api-2', status: 200 });
    expect(marks).toEqual([{ member: `api-1@${dead}`, out: true, reason: 'connection refused', until: expect.any(Number) }]);
    // Out for PASSIVE_OUT_MS from the failure, which happened while the request was under way.
    expect(marks[0]!.until!).toBeGreaterThanOrEqual(sent + PASSIVE_OUT_MS);
    expect(marks[0]!.until!).toBeLessThanOrEqual(answered + PASSIVE_OUT_MS);

    // A request answered before the member is due back does not even try it (on a machine too busy
    // to send one within the period, there is nothing to check).
    for (const path of ['/a', '/b', '/c']) {
      expect((await send(running.port, path)).body).toBe('api-2');
      const whileOut = Date.now() < marks[0]!.until!;
      const { attempts } = await accessFor(running, path);
      if (whileOut) expect(attempts, path).toBe(1);
    }
    await waitFor(() => marks.length === 2, 'the member to come back', { timeout: PASSIVE_OUT_MS + 10_000 });
    expect(marks[1]).toMatchObject({ member: `api-1@${dead}`, out: false, until: null });
  });

  it('brings a member back at once when it is reported under a fresh id', async () => {
    const dead = await refusedPort();
    const { upstreams } = await namedUpstreams(2);
    const running = await proxyTo([dead, upstreams[1]!.port]);
    await send(running.port, '/first');
    // The failed attempt left nothing in flight on api-1: drained at once when it drains.
    const drained: string[] = [];
    running.proxy.onDrained((id) => drained.push(id));
    running.proxy.setMembers('api', [member('api-1', dead, 'draining'), member('api-2', upstreams[1]!.port)]);
    expect(drained).toEqual([`api-1@${dead}`]);
    // api-1 restarted: a new process, a new id, a new port.
    running.proxy.setMembers('api', [member('api-1', upstreams[0]!.port), member('api-2', upstreams[1]!.port)]);
    const seen = await bodies(running.port, ['/', '/', '/', '/']);
    expect(seen).toContain('api-1');
  });

  it('doubles the time out on each repeat, up to a limit, and not for failures while already out', () => {
    const pools = new ConnectionPools();
    const registry = new MemberRegistry(pools);
    onCleanup(async () => {
      registry.dispose();
      await pools.destroy();
    });
    const marks: PassiveMark[] = [];
    registry.onPassive((mark) => marks.push(mark));
    const [record] = registry.recordsFor([member('api-1', 4999)]);
    let now = 1_000_000;
    const periods: number[] = [];
    for (let i = 0; i < 6; i++) {
      registry.markFailed(record!, 'connection refused', now);
      // A second failure from a request already under way does not count.
      registry.markFailed(record!, 'connection refused', now + 1);
      periods.push(record!.outUntil - now);
      now = record!.outUntil + 1;
    }
    expect(periods).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
    expect(marks.filter((mark) => mark.out)).toHaveLength(6);
  });
});
