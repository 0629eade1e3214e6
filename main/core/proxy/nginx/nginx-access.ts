// What nginx's two logs tell the stack: the JSON access log on the engine's named pipe (one request
// a line, the upstream named by address), and the error log on its stderr, whose upstream failures
// are the passive marks. Addresses are turned back into members, also after a member has left the
// configuration: its last requests are logged by an old worker after the reload that removed it.

import type { Readable } from 'node:stream';
import type { AccessEvent, PassiveMark, ProxyConfig } from '../../../../shared/proxy.ts';
import { LineSplitter } from '../../logs/line-splitter.ts';
// The generated upstreams take a server out for the builtin's time (fail_timeout).
import { PASSIVE_OUT_MS } from '../builtin/member-registry.ts';
import { parseUpstreamFailure } from './nginx-error-log.ts';
import { parseAccessLine, type MemberAt } from './nginx-conf.ts';
import { address as nginxAddress } from './nginx-syntax.ts';

/** Addresses remembered; a long session's restarts bring new ports, so the oldest are forgotten past this. */
const MAX_REMEMBERED_ADDRESSES = 1024;

/** Where the reader's findings go. */
export interface NginxOutputHost {
  access(events: readonly AccessEvent[]): void;
  passive(mark: PassiveMark): void;
  recycle(member: string, requests: number): void;
}

/** Reads nginx's access log and each run's error log, and counts requests against members' maxRequests. */
export class NginxOutputReader {
  private readonly host: NginxOutputHost;
  private readonly byAddress = new Map<string, MemberAt>();
  private readonly limits = new Map<string, number>();
  private readonly counts = new Map<string, number>();
  /** Members already reported due for recycling, or out of rotation until a time. */
  private readonly recycled = new Set<string>();
  private readonly outUntil = new Map<string, number>();
  private readonly memberAt = (address: string): MemberAt | null => this.byAddress.get(address) ?? null;

  constructor(host: NginxOutputHost) {
    this.host = host;
  }

  /** Learns the members of `config` by address, and their request limits. */
  learn(config: ProxyConfig): void {
    const live = new Set<string>();
    for (const upstream of Object.values(config.upstreams)) {
      for (const member of upstream.members) {
        live.add(member.id);
        if (member.port === 0) continue;
        // As nginx writes it in both logs: `[::1]:4123` for a worker that listens on IPv6 loopback.
        const address = nginxAddress(member.host, member.port);
        // Re-inserted, so that the map's order is the order of last sight and the oldest go first.
        this.byAddress.delete(address);
        this.byAddress.set(address, { worker: member.name, member: member.id });
        if (member.maxRequests === undefined) this.limits.delete(member.id);
        else this.limits.set(member.id, member.maxRequests);
      }
    }
    for (const address of this.byAddress.keys()) {
      if (this.byAddress.size <= MAX_REMEMBERED_ADDRESSES) break;
      this.byAddress.delete(address);
    }
    for (const member of this.counts.keys()) if (!live.has(member)) this.counts.delete(member);
    for (const member of this.recycled) if (!live.has(member)) this.recycled.delete(member);
    for (const member of this.outUntil.keys()) if (!live.has(member)) this.outUntil.delete(member);
  }

  /** Reads the access log, across nginx's runs: each chunk's requests are one batch. */
  readAccess(stdout: Readable): void {
    let batch: AccessEvent[] = [];
    const lines = new LineSplitter((line) => {
      const event = parseAccessLine(line, this.memberAt);
      if (event !== null) batch.push(event);
    });
    const deliver = () => {
      if (batch.length === 0) return;
      const events = batch;
      batch = [];
      this.host.access(events);
      for (const event of events) if (event.member !== null) this.count(event.member);
    };
    stdout.on('data', (chunk: Buffer) => {
      lines.push(chunk);
      deliver();
    });
    stdout.on('end', () => {
      lines.flush();
      deliver();
    });
  }

  /** Reads one run's error log for failed upstream connections (its lines reach the log store by the supervisor). */
  readErrors(stderr: Readable): void {
    const lines = new LineSplitter((line) => {
      const failure = parseUpstreamFailure(line);
      const found = failure === null ? null : this.memberAt(failure.address);
      if (failure === null || found === null) return;
      const now = Date.now();
      // One mark per time out: every request that meets the failure logs a line.
      if ((this.outUntil.get(found.member) ?? 0) > now) return;
      const until = now + PASSIVE_OUT_MS;
      this.outUntil.set(found.member, until);
      this.host.passive({ member: found.member, out: true, reason: failure.reason, until });
    });
    stderr.on('data', (chunk: Buffer) => lines.push(chunk));
    stderr.on('end', () => lines.flush());
  }

  private count(member: string): void {
    const requests = (this.counts.get(member) ?? 0) + 1;
    this.counts.set(member, requests);
    const limit = this.limits.get(member);
    if (limit === undefined || requests < limit || this.recycled.has(member)) return;
    this.recycled.add(member);
    this.host.recycle(member, requests);
  }
}
