// nginx `upstream` blocks in the builtin engine's terms: its balancing strategies, its passive rule
// (one connection failure takes a member out for PASSIVE_OUT_MS) and its attempt limit, with
// keep-alive connections that idle out as the builtin's do.

import type { UpstreamConfig } from '../../../../shared/proxy.ts';
import { CONNECT_TIMEOUT_MS, DEFAULT_IDLE_MS } from '../builtin/upstream-limits.ts';
import { PASSIVE_OUT_MS } from '../builtin/member-registry.ts';
import { MAX_ATTEMPTS } from '../builtin/upstream-pool.ts';
import { address, duration, quoted, quotedRegex, regexLiteral, type ConfWriter } from './nginx-syntax.ts';

/** One `server` line of an upstream. */
export interface NginxServer {
  host: string;
  port: number;
  /** Listed so that hashing does not reshuffle, but given no requests (a member not ready). */
  down?: boolean;
}

/** Idle keep-alive connections each nginx worker keeps per upstream. */
const KEEPALIVE_CONNECTIONS = 64;

/** The connect timeout of every attempt, as the builtin's connector has it. */
export const CONNECT_TIMEOUT = duration(CONNECT_TIMEOUT_MS);

/**
 * Before an app or site name in its upstream block's name. A URL origin's block is `sy-url-<n>`:
 * stack names cannot make that (they follow `sy_`), and nginx refuses two blocks of one name.
 */
export const UPSTREAM_PREFIX = 'sy_';

/** The upstream block of app or site `name`. */
export function upstreamName(name: string): string {
  return `${UPSTREAM_PREFIX}${name}`;
}

/** Servers with a port; a member without one (starting, backing off) cannot be written and takes no requests anyway. */
export function writableServers(servers: readonly NginxServer[]): NginxServer[] {
  return servers.filter((server) => server.port > 0);
}

/** True when some server may take requests: otherwise the routes answer 503 themselves, as the builtin does. */
export function hasLiveServer(servers: readonly NginxServer[]): boolean {
  return servers.some((server) => server.down !== true);
}

/** How many attempts a request to this upstream may make: one per member, at least two, at most MAX_ATTEMPTS. */
export function attemptsFor(servers: readonly NginxServer[]): number {
  return Math.max(2, Math.min(MAX_ATTEMPTS, servers.length));
}

/**
 * Writes one upstream block. ip-hash becomes `hash $remote_addr consistent`: nginx's `ip_hash`
 * hashes only the first three octets of an IPv4 address, so every loopback client (and every
 * client behind one /24) would land on one member; the consistent (ketama) hash uses the whole
 * address and moves only about 1/n of the clients when a member joins or leaves.
 */
export function writeUpstream(out: ConfWriter, upstream: UpstreamConfig, servers: readonly NginxServer[]): void {
  out.block(`upstream ${upstreamName(upstream.name)}`, () => {
    if (upstream.balance === 'least-conn') out.line('least_conn');
    else if (upstream.balance === 'ip-hash') out.line('hash $remote_addr consistent');
    for (const server of servers) {
      const where = address(server.host, server.port);
      out.line(server.down === true ? `server ${where} down` : `server ${where} max_fails=1 fail_timeout=${duration(PASSIVE_OUT_MS)}`);
    }
    out.line(`keepalive ${KEEPALIVE_CONNECTIONS}`);
    out.line(`keepalive_timeout ${duration(DEFAULT_IDLE_MS)}`);
  });
}

/** Why no member can take a request, in the builtin's words (`api-1 down, api-2 draining`). */
export function unavailableReason(upstream: UpstreamConfig): string {
  if (upstream.members.length === 0) return 'it has no workers';
  return upstream.members.map((member) => `${member.name} ${member.state === 'ready' ? 'not reachable' : member.state}`).join(', ');
}

/**
 * `$sy_target_described`: what the error pages name as the target, as error-page.ts does: the
 * member last tried as `api-2 (127.0.0.1:41234)`, a URL route's URL, else nginx's address list.
 */
export function writeTargetDescriptions(out: ConfWriter, written: readonly { upstream: UpstreamConfig; servers: readonly NginxServer[] }[]): void {
  out.block('map $upstream_addr $sy_member_tried', () => {
    for (const { upstream, servers } of written) {
      for (const server of servers) {
        const member = upstream.members.find((candidate) => candidate.host === server.host && candidate.port === server.port);
        if (member === undefined || server.down === true) continue;
        const where = address(server.host, server.port);
        out.line(`${quotedRegex(`~(^|, | : )${regexLiteral(where)}$`)} ${quoted(`${member.name} (${where})`)}`);
      }
    }
    out.line('default $upstream_addr');
  });
  out.block('map $sy_worker $sy_target_described', () => {
    out.line('"" $sy_member_tried');
    out.line('default $sy_worker');
  });
}
