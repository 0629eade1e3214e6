// nginx as the benchmarks' anchor: one worker, no access log; as a reverse proxy the way it is run
// in front of gunicorn (an upstream keep-alive pool, HTTP/1.1 to the upstream), or as a static file
// server. Everything it writes (config, pid, error log, temp files) lives in a temp folder removed on stop.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import which from 'which';
import { anchorServer, type ChildServer } from './child.ts';
import { freePort, LOOPBACK } from './net.ts';

/** How long nginx may take to accept connections. */
const START_DEADLINE_MS = 5000;

/** The nginx binary, or null where it is not installed (it lives in sbin, often off a user's PATH). */
export function findNginx(): string | null {
  return which.sync('nginx', { nothrow: true }) ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null);
}

/** How nginx runs: by default one process that serves (no master), the lightest anchor. */
export interface NginxOptions {
  workerConnections?: number;
  /** A master and one worker, as nginx runs by default and as the nginx engine runs it. */
  masterProcess?: boolean;
}

/** The nginx.conf of one foreground nginx whose `http` block holds `site`; it writes nothing outside `dir`. */
export function nginxConfig(dir: string, site: string, { workerConnections = 1024, masterProcess = false }: NginxOptions = {}): string {
  const file = (name: string) => path.join(dir, name);
  return `# Written by bench/lib/nginx.ts; foreground, ${masterProcess ? 'a master and one worker' : 'one process'}, nothing outside ${dir}.
worker_processes 1;
master_process ${masterProcess ? 'on' : 'off'};
daemon off;
pid ${file('nginx.pid')};
error_log ${file('error.log')} warn;

events {
  worker_connections ${workerConnections};
}

http {
  access_log off;
  client_body_temp_path ${file('client_body')};
  proxy_temp_path ${file('proxy')};
  fastcgi_temp_path ${file('fastcgi')};
  uwsgi_temp_path ${file('uwsgi')};
  scgi_temp_path ${file('scgi')};
${site}
}
`;
}

/** nginx as a reverse proxy in front of `upstreamPorts` (one or several workers), the way it is run in front of gunicorn. */
export function proxySite(upstreamPorts: number | readonly number[]): (port: number) => string {
  const servers = (typeof upstreamPorts === 'number' ? [upstreamPorts] : upstreamPorts).map((each) => `    server ${LOOPBACK}:${each};`);
  return (port) => `
  upstream backend {
${servers.join('\n')}
    keepalive 32;
  }

  server {
    listen ${LOOPBACK}:${port};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }`;
}

/** nginx serving the files under `root` (sendfile on), as a static file server is run. */
export function staticSite(root: string): (port: number) => string {
  return (port) => `
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 5s;
  keepalive_requests 1000000;
  default_type application/octet-stream;

  server {
    listen ${LOOPBACK}:${port};
    root ${root};
  }`;
}

/** Starts nginx with `site` (given the free loopback port it listens on). */
export async function startNginx(binary: string, site: (port: number) => string, options: NginxOptions = {}): Promise<ChildServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bench-nginx-'));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, site(port), options));
  // -e: the compiled-in error log (/var/log/nginx) is opened before the config is read; keep that in the temp folder too.
  const child = spawn(binary, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  return anchorServer('nginx', child, dir, port, START_DEADLINE_MS, (stderr) => stderr || errorLog(dir));
}

function errorLog(dir: string): string {
  try {
    return readFileSync(path.join(dir, 'error.log'), 'utf8').trim();
  } catch {
    return '(no error log)';
  }
}
