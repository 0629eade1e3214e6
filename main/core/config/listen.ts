// The proxy's `listen` address: parsing, whether it is private to this machine, and whether it is free.
import net from 'node:net';
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

/** Why the proxy could not listen there (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES` …), or null when it could. */
export function probeListen(address: ListenAddress): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** A message for a `probeListen` failure, saying what to do about it. */
export function describeListenFailure(address: ListenAddress, code: string): string {
  const where = `port ${address.port} on ${address.host}`;
  switch (code) {
    case 'EADDRINUSE':
      return `${where} is in use by another program; stop it or choose another \`listen\` port`;
    case 'EACCES':
      return `${where} needs privileges to bind; choose a port above 1023`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `cannot listen on ${address.host}: it is not an address of this machine; use 127.0.0.1`;
    default:
      return `cannot listen on ${where} (${code}); choose another \`listen\` address`;
  }
}
