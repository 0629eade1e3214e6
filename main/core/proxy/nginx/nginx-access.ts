// What nginx's two logs tell the stack: the access log on the engine's named pipe (one request a
// line, the upstream named by address), and the error log on its stderr, whose upstream failures
// are the passive marks. Addresses are turned back into members, also after a member has left the
// configuration: its last requests are logged by an old worker after the reload that removed it.

import type { Readable } from 'node:stream';
import type { AccessEvent, PassiveMark, ProxyConfig } from '../../../../shared/proxy.ts';
import { LineSplitter } from '../../logs/line-splitter.ts';
// The generated upstreams take a server out for the builtin's time (fail_timeout).
import { PASSIVE_OUT_MS } from '../builtin/member-registry.ts';
import type { AccessPipeReader } from './access-pipe.ts';
import { parseUpstreamFailure } from './nginx-error-log.ts';
import { AccessLineParser, type MemberAt } from './nginx-access-log.ts';
import { address as nginxAddress } from './nginx-syntax.ts';

/** Addresses remembered; a long session's restarts bring new ports, so the oldest are forgotten past this. */
const MAX_REMEMBERED_ADDRESSES = 1024;
/**
 * The most of an unfinished access line kept: nginx's longest is a 16 KiB request line with every
 * byte escaped (6 bytes each). Anything longer is no line of nginx's, and is dropped.
 */
const MAX_PENDING_ACCESS = 128 * 1024;

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

  /**
   * The access log's reader, across nginx's runs: each read's requests are one batch. The bytes
   * are taken as latin1 text, one character a byte, which costs no UTF-8 decoding and cuts lines
   * and fields on the same boundaries as the bytes; the parser decodes the few values with UTF-8.
   */
  accessReader(): AccessPipeReader {
    const parser = new AccessLineParser(this.memberAt);
    let pending = '';
    return {
      data: (bytes, length) => {
        const text = pending + bytes.toString('latin1', 0, length);
        const events: AccessEvent[] = [];
        let start = 0;
        for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
          const event = parser.parse(text.slice(start, newline));
          if (event !== null) events.push(event);
          start = newline + 1;
        }
        pending = text.length - start > MAX_PENDING_ACCESS ? '' : text.slice(start);
        this.deliver(events);
      },
      end: () => {
        const event = pending === '' ? null : parser.parse(pending);
        pending = '';
        if (event !== null) this.deliver([event]);
      },
    };
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

  private deliver(events: AccessEvent[]): void {
    if (events.length === 0) return;
    this.host.access(events);
    // Only members with a limit are counted: the rest have no use for the count.
    if (this.limits.size === 0) return;
    for (const event of events) if (event.member !== null && this.limits.has(event.member)) this.count(event.member);
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
