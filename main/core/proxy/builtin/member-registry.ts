// Every worker the proxy forwards to, by member id, with what outlives a configuration change:
// requests in flight and served (for recycling), passive failure marks (nginx max_fails=1 /
// fail_timeout), drain reports, and when it last answered (a busy worker from a stalled one).

import type { PassiveMark, UpstreamMember } from '../../../../shared/proxy.ts';
import { Emitter } from '../../events.ts';
import type { Disposable, Event } from '../../events.ts';
import type { Candidate } from './balancer.ts';
import type { ConnectionPools, OriginConnections } from './connection-pools.ts';

/** A first connection failure takes a member out this long; each repeat doubles it. */
export const PASSIVE_OUT_MS = 2000;
/** The longest a member sits out after repeated connection failures. */
export const PASSIVE_OUT_MAX_MS = 30_000;

/** Something a request can be sent to: a worker, or the URL of a URL route. */
export interface Target {
  readonly connections: OriginConnections;
  /** `http://127.0.0.1:41234`: where WebSocket handshakes connect. */
  readonly origin: string;
  /** What access events name as the worker: the process name or the URL. */
  readonly worker: string;
  /** `api-2 (127.0.0.1:41234)` or the URL, for error pages. */
  readonly description: string;
  /** The member behind it; null for a URL. */
  readonly record: MemberRecord | null;
}

/** One member as the proxy tracks it across configuration changes. */
export class MemberRecord implements Target, Candidate {
  member: UpstreamMember;
  readonly origin: string;
  readonly connections: OriginConnections;
  readonly description: string;
  readonly record: MemberRecord = this;
  inFlight = 0;
  /** Epoch ms until which passive checks keep it out of rotation; 0 when it is in. */
  outUntil = 0;
  /** Connection failures in a row, for the doubling of the time out. */
  failures = 0;
  outTimer: NodeJS.Timeout | null = null;
  drainedReported = false;
  /** Requests sent to it, retries included, counted toward `member.maxRequests`. */
  requests = 0;
  recycleReported = false;
  /** Epoch ms when its requests in flight went from none to one. */
  busySince = 0;
  /** Epoch ms of the last response head it sent. */
  lastAnswer = 0;

  constructor(member: UpstreamMember, origin: string, connections: OriginConnections) {
    this.member = member;
    this.origin = origin;
    this.connections = connections;
    this.description = `${member.name} (${member.host}:${member.port})`;
  }

  get name(): string {
    return this.member.name;
  }

  get worker(): string {
    return this.member.name;
  }

  /** How long its requests in flight have waited without it answering any; 0 when it has none. */
  silentFor(now: number): number {
    return this.inFlight === 0 ? 0 : now - Math.max(this.busySince, this.lastAnswer);
  }
}

/** The members of every upstream, keyed by member id. */
export class MemberRegistry implements Disposable {
  private readonly _onDrained = new Emitter<string>();
  /** A draining member has no request in flight any more; once per member id. */
  readonly onDrained: Event<string> = this._onDrained.event;
  private readonly _onPassive = new Emitter<PassiveMark>();
  /** A member was taken out of rotation after a connection failure, or came back. */
  readonly onPassive: Event<PassiveMark> = this._onPassive.event;
  private readonly _onRecycle = new Emitter<MemberRecord>();
  /** A ready member reached its maxRequests; once per member id. */
  readonly onRecycle: Event<MemberRecord> = this._onRecycle.event;

  private readonly byId = new Map<string, MemberRecord>();
  private readonly pools: ConnectionPools;

  constructor(pools: ConnectionPools) {
    this.pools = pools;
  }

  /** Records for a member list in its order: known ids keep their counts and marks, new ids start fresh. */
  recordsFor(members: readonly UpstreamMember[]): MemberRecord[] {
    return members.map((member) => {
      let record = this.byId.get(member.id);
      if (record !== undefined && (record.member.host !== member.host || record.member.port !== member.port)) {
        this.forget(record);
        record = undefined;
      }
      if (record === undefined) {
        const origin = `http://${member.host.includes(':') ? `[${member.host}]` : member.host}:${member.port}`;
        record = new MemberRecord(member, origin, this.pools.acquire(origin));
        this.byId.set(member.id, record);
      }
      record.member = member;
      if (member.state === 'draining' && record.inFlight === 0) this.reportDrained(record);
      // A limit lowered below what it has served already.
      if (member.maxRequests !== undefined && record.requests >= member.maxRequests) this.reportRecycle(record);
      return record;
    });
  }

  /** Forgets every member not in `inUse` and closes its connections once they are idle. */
  retain(inUse: ReadonlySet<MemberRecord>): void {
    for (const record of this.byId.values()) if (!inUse.has(record)) this.forget(record);
  }

  /** A request was sent to `record`. */
  begin(record: MemberRecord): void {
    if (record.inFlight++ === 0) record.busySince = Date.now();
    if (++record.requests === record.member.maxRequests) this.reportRecycle(record);
  }

  /** `record` sent a response head: it is answering, however long its other requests take. */
  answered(record: MemberRecord): void {
    record.failures = 0;
    record.lastAnswer = Date.now();
  }

  /** A request sent to `record` has finished, one way or another. */
  end(record: MemberRecord): void {
    if (--record.inFlight === 0 && record.member.state === 'draining') this.reportDrained(record);
  }

  /** A connection to `record` failed: out for a while, longer on each repeat. */
  markFailed(record: MemberRecord, reason: string, now: number): void {
    // Requests that were already under way when it went out do not lengthen its time out.
    if (record.outUntil > now || this.byId.get(record.member.id) !== record) return;
    const period = Math.min(PASSIVE_OUT_MAX_MS, PASSIVE_OUT_MS * 2 ** record.failures);
    record.failures++;
    record.outUntil = now + period;
    if (record.outTimer !== null) clearTimeout(record.outTimer);
    record.outTimer = setTimeout(() => this.bringBack(record, period), period);
    record.outTimer.unref();
    this._onPassive.fire({ member: record.member.id, out: true, reason, until: record.outUntil });
  }

  dispose(): void {
    for (const record of [...this.byId.values()]) this.forget(record);
    this._onDrained.dispose();
    this._onPassive.dispose();
    this._onRecycle.dispose();
  }

  private bringBack(record: MemberRecord, period: number): void {
    record.outTimer = null;
    record.outUntil = 0;
    this._onPassive.fire({ member: record.member.id, out: false, reason: `back in rotation after ${period / 1000}s out`, until: null });
  }

  private reportDrained(record: MemberRecord): void {
    if (record.drainedReported) return;
    record.drainedReported = true;
    this._onDrained.fire(record.member.id);
  }

  private reportRecycle(record: MemberRecord): void {
    if (record.recycleReported || record.member.state !== 'ready') return;
    record.recycleReported = true;
    this._onRecycle.fire(record);
  }

  private forget(record: MemberRecord): void {
    if (this.byId.get(record.member.id) === record) this.byId.delete(record.member.id);
    if (record.outTimer !== null) clearTimeout(record.outTimer);
    record.outTimer = null;
    this.pools.release(record.origin);
  }
}
