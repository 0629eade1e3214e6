// Caddy as a benchmark anchor: a reverse proxy in front of the same backend, the way its docs show
// it (`reverse_proxy`), with the admin endpoint off, HTTP only, bound to loopback. Its config and
// whatever it writes (HOME and XDG folders point there) live in a temp folder removed on stop.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import which from 'which';
import { anchorServer, type ChildServer } from './child.ts';
import { freePort, LOOPBACK } from './net.ts';

/** How long Caddy may take to accept connections. */
const START_DEADLINE_MS = 5000;

/** The caddy binary, or null where it is not installed. */
export function findCaddy(): string | null {
  return which.sync('caddy', { nothrow: true }) ?? (existsSync('/usr/bin/caddy') ? '/usr/bin/caddy' : null);
}

/** The Caddyfile of a reverse proxy on `port` in front of `upstreamPort`. */
export function caddyProxyConfig(port: number, upstreamPort: number): string {
  return `# Written by bench/lib/caddy.ts: HTTP only, loopback only, no admin endpoint, no access log.
{
  admin off
  auto_https off
}

http://${LOOPBACK}:${port} {
  bind ${LOOPBACK}
  reverse_proxy ${LOOPBACK}:${upstreamPort}
}
`;
}

/** Starts Caddy as a reverse proxy in front of `upstreamPort`. */
export async function startCaddy(binary: string, upstreamPort: number): Promise<ChildServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-caddy-'));
  const port = await freePort();
  const file = path.join(dir, 'Caddyfile');
  writeFileSync(file, caddyProxyConfig(port, upstreamPort));
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config') };
  const child = spawn(binary, ['run', '--config', file, '--adapter', 'caddyfile'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  return anchorServer('caddy', child, dir, port, START_DEADLINE_MS, (stderr) => stderr);
}
