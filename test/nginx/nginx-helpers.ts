// The real nginx for the generator's tests: a configuration rendered in engine mode into a temp
// prefix, checked with `nginx -t`, then run (daemon off) in front of in-process upstreams, with
// its stdout (the access log) and stderr (the error log) kept. Killed after each test.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AccessEvent, ProxyConfig, UpstreamConfig } from '../../shared/proxy.ts';
import { engineTarget, parseAccessLine, renderNginxConf, type NginxTarget } from '../../main/core/proxy/nginx/nginx-conf.ts';
import { address } from '../../main/core/proxy/nginx/nginx-syntax.ts';
import { waitFor } from '../helpers/wait.ts';
import { onCleanup, refusedPort } from '../proxy/helpers.ts';

/** Debian's nginx; the tests skip where it is not installed (`.ci/run` installs it). */
export const NGINX = '/usr/sbin/nginx';
export const hasNginx = fs.existsSync(NGINX);

/** A temp folder for nginx's prefix, removed after the test. */
export function tempPrefix(): string {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-nginx-'));
  onCleanup(() => fs.rmSync(prefix, { recursive: true, force: true }));
  return prefix;
}

/** Runs `nginx -t` on `conf` written under `prefix`; its verdict and what it printed. */
export function checkConf(conf: string, prefix: string, name = 'nginx.conf'): { ok: boolean; output: string } {
  const file = path.join(prefix, name);
  fs.writeFileSync(file, conf);
  // stdout is not a pipe here: nginx opens /dev/stdout for the access log, which fails on the socket Node's 'pipe' would be.
  const result = spawnSync(NGINX, ['-t', '-q', '-p', prefix, '-c', file], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  return { ok: result.status === 0, output: result.stderr };
}

/** A running nginx: its port, the access log lines it wrote, and its error log so far. */
export interface RunningNginx {
  readonly port: number;
  readonly conf: string;
  readonly lines: string[];
  stderr(): string;
  /** The access events of the lines so far, members named as `members` of `config` say. */
  events(): AccessEvent[];
  /** The access event for `path`, once nginx has logged it. */
  accessFor(path: string): Promise<AccessEvent>;
  /** Renders `config` in place of the running one, checks it and asks nginx for a graceful reload (HUP). */
  reload(config: ProxyConfig): void;
}

/** Every member of the upstreams added so far by address as nginx logs it (`[::1]:port` too), for parseAccessLine. */
class MemberIndex {
  private readonly byAddress = new Map<string, { worker: string; member: string }>();

  add(upstreams: Record<string, UpstreamConfig>): void {
    for (const upstream of Object.values(upstreams)) {
      for (const member of upstream.members) this.byAddress.set(address(member.host, member.port), { worker: member.name, member: member.id });
    }
  }

  readonly memberAt = (address: string) => this.byAddress.get(address) ?? null;
}

/** How a test runs nginx. */
export interface NginxOptions {
  /** Changes the engine target before rendering. */
  adjust?: (target: NginxTarget) => NginxTarget;
  /** Runs nginx as this account (the test must be root); the prefix is handed to it. */
  runAs?: { uid: number; gid: number };
}

/** Renders `config` for the engine, checks it and runs nginx with it on a free loopback port. */
export async function startNginx(config: ProxyConfig, { adjust = (target) => target, runAs }: NginxOptions = {}): Promise<RunningNginx> {
  const prefix = tempPrefix();
  const port = await refusedPort();
  const target = adjust(engineTarget({ host: '127.0.0.1', port }, prefix));
  const members = new MemberIndex();
  const render = (next: ProxyConfig): string => {
    const conf = renderNginxConf(next, target);
    const check = checkConf(conf, prefix);
    if (!check.ok) throw new Error(`nginx -t refused the configuration:\n${check.output}`);
    members.add(next.upstreams);
    return conf;
  };
  const conf = render(config);
  const { writeFd, reader } = accessPipe(prefix);
  if (runAs !== undefined) for (const file of fs.readdirSync(prefix, { recursive: true, encoding: 'utf8' }).concat('.')) fs.chownSync(path.join(prefix, file), runAs.uid, runAs.gid);
  const child = spawn(NGINX, ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: ['ignore', writeFd, 'pipe'], ...runAs });
  fs.closeSync(writeFd);
  onCleanup(() => void reader.destroy());
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  const lines: string[] = [];
  let pending = '';
  // latin1: the parser takes a line's bytes one character each, as the engine reads them.
  reader.setEncoding('latin1').on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts.filter((line) => line !== ''));
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  await waitFor(() => (child.exitCode !== null ? Promise.reject(new Error(`nginx exited: ${stderr}`)) : accepts(port)), 'nginx to accept connections');
  const events = () => lines.map((line) => parseAccessLine(line, members.memberAt)).filter((event) => event !== null);
  return {
    port,
    conf,
    lines,
    stderr: () => stderr,
    events,
    accessFor: (path) => waitFor(() => events().findLast((event) => event.path === path), `an access event for ${path}`, { interval: 5 }),
    reload: (next) => {
      render(next);
      child.kill('SIGHUP');
    },
  };
}

/**
 * nginx's stdout as a real pipe (a FIFO in the prefix): nginx opens `/dev/stdout` by path, which
 * works for a pipe or a file but not for the socketpair Node's `stdio: 'pipe'` gives a child.
 */
function accessPipe(prefix: string): { writeFd: number; reader: net.Socket } {
  const fifo = path.join(prefix, 'access.fifo');
  const made = spawnSync('mkfifo', [fifo]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr.toString()}`);
  // The reading end first, without blocking, so that opening the writing end does not block either.
  const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(fifo, fs.constants.O_WRONLY);
  return { writeFd, reader: new net.Socket({ fd: readFd, readable: true, writable: false }) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
