// The proxy's `listen` address: parsing, whether it is private to this machine, and whether it is free.
import net from 'node:net';
import os from 'node:os';
import type { ListenAddress } from '../../../shared/stack.ts';

const FORMS = 'must be a port from 1 to 65535 or host:port, like 8080, 127.0.0.1:8080 or [::1]:8080';
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;

/** `8080`, `"host:port"` or `"[v6]:port"` as an address; the host defaults to loopback. */
export function parseListen(value: unknown): ListenAddress {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  if (typeof value === 'number') return { host: '127.0.0.1', port: checkedPort(value, shown) };
  if (typeof value !== 'string') throw new Error(`${FORMS}; got ${Array.isArray(value) ? 'a list' : shown}`);
  const text = value.trim();
  if (/^\d+$/.test(text)) return { host: '127.0.0.1', port: checkedPort(Number(text), shown) };
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!match) {
    const hint = net.isIPv6(text.replace(/:\d+$/, '')) ? '; write an IPv6 host in brackets, like [::1]:8080' : '';
    throw new Error(`${FORMS}; got ${shown}${hint}`);
  }
  const host = match[1] ?? '';
  const bracketed = text.startsWith('[');
  const validHost = bracketed ? net.isIPv6(host) : net.isIPv4(host) || HOST_NAME.test(host);
  if (!validHost) throw new Error(`${FORMS}; got ${shown}, whose host '${host}' is not an IP address or host name`);
  return { host: host.toLowerCase(), port: checkedPort(Number(match[2]), shown) };
}

function checkedPort(port: number, shown: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${FORMS}; got ${shown}`);
  return port;
}

/** Whether only this machine can reach the host. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  return net.isIPv6(host) && new net.SocketAddress({ address: host, family: 'ipv6' }).address === '::1';
}

/**
 * Whether a connection to `host:port` would reach a server listening on `listen`. Every loopback
 * name (localhost, 127.x.y.z, ::1) and the unspecified address (0.0.0.0, ::, which connect to this
 * machine) count as one address; a server on all interfaces is also reached through each of this
 * machine's own addresses.
 */
export function reachesListen(host: string, port: number, listen: ListenAddress): boolean {
  if (port !== listen.port) return false;
  const target = canonicalHost(host);
  const bound = canonicalHost(listen.host);
  if (target === bound) return true;
  const local = isLoopback(target) || isUnspecified(target);
  if (isUnspecified(bound)) return local || ownAddresses().has(target);
  return isLoopback(bound) && local;
}

/** A host as one spelling: lower case, no brackets or trailing dot, IPv6 compressed, IPv4-mapped IPv6 as IPv4. */
function canonicalHost(host: string): string {
  const bare = host.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (!net.isIPv6(bare)) return bare;
  const address = new net.SocketAddress({ address: bare, family: 'ipv6' }).address;
  const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(address);
  if (!mapped) return address;
  if (mapped[1] !== undefined) return mapped[1];
  const high = Number.parseInt(mapped[2] ?? '0', 16);
  const low = Number.parseInt(mapped[3] ?? '0', 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

function isUnspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function ownAddresses(): Set<string> {
  return new Set(Object.values(os.networkInterfaces()).flatMap((addresses) => (addresses ?? []).map((info) => canonicalHost(info.address))));
}

/** Why the proxy could not listen there (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES` …), or null when it could. */
export function probeListen(address: ListenAddress): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}
