// One app or static site as routes see it: its members in worker order and the strategy that picks
// among them. Only `ready` members that passive checks have not taken out get new requests. A busy
// member stays ready (health/busy-check.ts), and the proxy keeps no queue of its own: as behind
// nginx without max_conns, a request to a worker whose every thread is taken waits in the worker's
// listen backlog, up to the route's timeout (then 504), instead of getting a 503 at once.

import type { UpstreamConfig } from '../../../../shared/proxy.ts';
import type { BalanceStrategy } from '../../../../shared/stack.ts';
import { pickMember } from './balancer.ts';
import type { MemberRecord } from './member-registry.ts';

/** Retries stop here even for a large pool: a request that failed three times is not going to work. */
export const MAX_ATTEMPTS = 3;

/** An upstream's members and its balancing state. */
export class UpstreamPool {
  readonly name: string;
  balance: BalanceStrategy;
  members: readonly MemberRecord[] = [];
  private cursor = 0;
  // Set just before each pick, so that the eligibility check is one function made once per pool.
  private pickNow = 0;
  private pickTried: readonly MemberRecord[] | null = null;
  private readonly eligible = (record: MemberRecord): boolean =>
    record.member.state === 'ready' && record.outUntil <= this.pickNow && (this.pickTried === null || !this.pickTried.includes(record));

  constructor(config: UpstreamConfig) {
    this.name = config.name;
    this.balance = config.balance;
  }

  /** How many attempts one request may make here: one per member, and two even for a single one. */
  get maxAttempts(): number {
    return Math.max(2, Math.min(MAX_ATTEMPTS, this.members.length));
  }

  /** The member for the next request from `clientIp`, skipping those already `tried`; null when none can take it. */
  pick(clientIp: string, tried: readonly MemberRecord[] | null, now: number): MemberRecord | null {
    this.pickNow = now;
    this.pickTried = tried;
    const index = pickMember(this.balance, this.members, this.cursor, clientIp, this.eligible);
    if (index === -1) return null;
    this.cursor = index + 1;
    return this.members[index] as MemberRecord;
  }

  /** Whether `record` is still a member that may take new requests. */
  canTake(record: MemberRecord, now: number): boolean {
    return this.members.includes(record) && record.member.state === 'ready' && record.outUntil <= now;
  }

  /** Why no member can take a request: `api-1 down, api-2 draining`. */
  unavailable(now: number): string {
    if (this.members.length === 0) return 'it has no workers';
    return this.members
      .map((record) => {
        if (record.member.state === 'ready' && record.outUntil > now) {
          return `${record.member.name} out after a connection failure (back in ${((record.outUntil - now) / 1000).toFixed(1)}s)`;
        }
        return `${record.member.name} ${record.member.state}`;
      })
      .join(', ');
  }
}
