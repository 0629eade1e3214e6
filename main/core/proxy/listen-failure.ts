// Why the proxy cannot listen where the stack file says, in words that say what to do about it. Both
// the stack file's check (before anything starts) and the proxy process (when its bind fails) say it.

import type { ListenAddress } from '../../../shared/stack.ts';

/** A message for a failed bind (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL` …) on `address`. */
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
