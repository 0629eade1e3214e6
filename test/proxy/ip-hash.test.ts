// ip-hash keeps each client on its worker through a reload: the replacement shares the old worker's
// name, and hashing onto names rather than list positions means nobody else moves.
import { describe, expect, it } from 'vitest';
import { pickIpHash } from '../../main/core/proxy/builtin/balancer.ts';

type M = { name: string; inFlight: number; id: string; ok: boolean };
const member = (name: string, id = name, ok = true): M => ({ name, inFlight: 0, id, ok });
const eligible = (m: M) => m.ok;
const clients = Array.from({ length: 500 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`);
const assign = (members: M[]) => clients.map((ip) => members[pickIpHash(members, ip, eligible)]?.name);

describe('ip-hash', () => {
  const steady = [member('api-1'), member('api-2'), member('api-3')];

  it('moves no client while a worker and its replacement are both listed', () => {
    const surge = [member('api-1', 'old', false), member('api-1', 'new'), member('api-2'), member('api-3')];
    const draining = [member('api-1', 'new'), member('api-1', 'old', false), member('api-2'), member('api-3')];
    expect(assign(surge)).toEqual(assign(steady));
    expect(assign(draining)).toEqual(assign(steady));
  });

  it('moves only the clients of a worker that is down, and brings them back after', () => {
    const before = assign(steady);
    const during = assign([member('api-1'), member('api-2', 'api-2', false), member('api-3')]);
    clients.forEach((_, i) => {
      if (before[i] !== 'api-2') expect(during[i]).toBe(before[i]);
      else expect(during[i]).not.toBe('api-2');
    });
    expect(new Set(before).size).toBe(3);
  });
});
