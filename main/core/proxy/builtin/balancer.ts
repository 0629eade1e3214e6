// The three ways an upstream spreads requests, as pure functions over its member list, so that
// they can be checked without sockets. Each returns an index into `members`, or -1.

import type { BalanceStrategy } from '../../../../shared/stack.ts';

/** What a strategy needs to know about a member. */
export interface Candidate {
  readonly name: string;
  readonly inFlight: number;
}

/** Says whether a member may take a new request right now. */
export type Eligibility<C> = (candidate: C) => boolean;

/** Round-robin from `cursor`: the first eligible member at or after it. */
export function pickRoundRobin<C extends Candidate>(members: readonly C[], cursor: number, eligible: Eligibility<C>): number {
  const n = members.length;
  for (let i = 0; i < n; i++) {
    const index = (cursor + i) % n;
    if (eligible(members[index] as C)) return index;
  }
  return -1;
}

/** The eligible member with the fewest requests in flight; ties go to the first one at or after `cursor`. */
export function pickLeastConn<C extends Candidate>(members: readonly C[], cursor: number, eligible: Eligibility<C>): number {
  const n = members.length;
  let best = -1;
  let fewest = Infinity;
  for (let i = 0; i < n; i++) {
    const index = (cursor + i) % n;
    const member = members[index] as C;
    if (member.inFlight < fewest && eligible(member)) {
      best = index;
      fewest = member.inFlight;
    }
  }
  return best;
}

/**
 * The member a client IP hashes to, by name: the hash picks one of the distinct names in list order,
 * so a worker's replacement (same name, during a reload) keeps its clients and the others stay put.
 * When no member of that name can take the request, the next name's can, so a worker leaving moves
 * only its own clients.
 */
export function pickIpHash<C extends Candidate>(members: readonly C[], clientIp: string, eligible: Eligibility<C>): number {
  const n = members.length;
  if (n === 0) return -1;
  const names: string[] = [];
  for (const member of members) if (names.at(-1) !== member.name && !names.includes(member.name)) names.push(member.name);
  const start = hashIp(clientIp) % names.length;
  for (let i = 0; i < names.length; i++) {
    const name = names[(start + i) % names.length];
    for (let index = 0; index < n; index++) {
      const member = members[index] as C;
      if (member.name === name && eligible(member)) return index;
    }
  }
  return -1;
}

/** Picks by `strategy`; the cursor matters to round-robin and least-conn only. */
export function pickMember<C extends Candidate>(
  strategy: BalanceStrategy,
  members: readonly C[],
  cursor: number,
  clientIp: string,
  eligible: Eligibility<C>,
): number {
  if (strategy === 'least-conn') return pickLeastConn(members, cursor, eligible);
  if (strategy === 'ip-hash') return pickIpHash(members, clientIp, eligible);
  return pickRoundRobin(members, cursor, eligible);
}

/** FNV-1a over the address text: stable across runs, so a client keeps its worker after a restart. */
export function hashIp(ip: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < ip.length; i++) {
    hash ^= ip.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
