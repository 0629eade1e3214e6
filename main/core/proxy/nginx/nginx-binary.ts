// Which nginx the engine runs: the first on the stack's PATH, then /usr/sbin (where Debian and
// Fedora put it, often off a user's PATH), and whether it is new enough for the generated config.

import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The oldest nginx the generated configuration runs on: 1.19.5 brought `-e`, so the engine's nginx
 * logs to stderr from its first line instead of trying the root-owned log path it was built with
 * (an alert on every start and every `nginx -t`). What the configuration itself uses is older:
 * `log_format escape=json` (1.11.8), `$request_id` (1.11.0), upstream `keepalive_timeout` (1.15.3).
 */
export const MIN_NGINX_VERSION = '1.19.5';

/** An nginx found on this machine. */
export interface NginxBinary {
  path: string;
  version: string;
}

/** nginx as found (or not) on this machine, with what to tell a person when it cannot be used. */
export type NginxLookup = { ok: true; nginx: NginxBinary } | { ok: false; problem: string };

/** Folders searched after PATH: package managers install nginx in sbin folders that users' PATH often lacks. */
const FALLBACK_DIRS = ['/usr/sbin', '/usr/local/sbin'];

/** The nginx the engine would run for a process environment `env` (then in `fallbackDirs`), checked against MIN_NGINX_VERSION. */
export async function findNginx(env: Readonly<Record<string, string | undefined>> = process.env, fallbackDirs: readonly string[] = FALLBACK_DIRS): Promise<NginxLookup> {
  const found = nginxPath(env, fallbackDirs);
  if (found === null) return { ok: false, problem: `nginx is not installed (not on PATH, nor in ${fallbackDirs.join(' or ')}); install it with \`${installCommand()}\`, or use \`engine: builtin\`` };
  const version = await nginxVersion(found);
  if (version === null) return { ok: false, problem: `${found} does not answer \`nginx -v\`; reinstall it with \`${installCommand()}\`, or use \`engine: builtin\`` };
  if (compareVersions(version, MIN_NGINX_VERSION) < 0) {
    return { ok: false, problem: `${found} is nginx ${version}; the nginx engine needs ${MIN_NGINX_VERSION} or newer: upgrade it with \`${installCommand()}\`, or use \`engine: builtin\`` };
  }
  if (process.platform === 'win32') {
    // nginx for Windows takes no signals (it reloads through `nginx -s`), and Windows has no FIFO files for the access log.
    return { ok: false, problem: `${found} is nginx ${version}, but the nginx engine runs on Linux and macOS only; use \`engine: builtin\` on Windows` };
  }
  return { ok: true, nginx: { path: found, version } };
}

/** The path of the nginx executable, or null when there is none. */
export function nginxPath(env: Readonly<Record<string, string | undefined>>, fallbackDirs: readonly string[] = FALLBACK_DIRS): string | null {
  const name = process.platform === 'win32' ? 'nginx.exe' : 'nginx';
  const dirs = [...(env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean), ...fallbackDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; the next folder.
    }
  }
  return null;
}

/** `1.22.1` from `nginx -v` (which writes `nginx version: nginx/1.22.1` to stderr), or null. */
function nginxVersion(binary: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(binary, ['-v'], { timeout: 5000 }, (error, stdout, stderr) => {
      if (error) return resolve(null);
      resolve(/nginx\/(\d+\.\d+\.\d+)/.exec(`${stderr}${stdout}`)?.[1] ?? null);
    });
  });
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b` (dotted numbers). */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** How to install nginx here: the platform's package manager (Linux by /etc/os-release's ID and ID_LIKE). */
export function installCommand(platform: NodeJS.Platform = process.platform, osRelease = readOsRelease()): string {
  if (platform === 'darwin') return 'brew install nginx';
  if (platform === 'win32') return 'choco install nginx (or winget search nginx)';
  const ids = /^(?:ID|ID_LIKE)=(.*)$/gm;
  const families = [...osRelease.matchAll(ids)].flatMap((match) => (match[1] ?? '').replace(/"/g, '').split(/\s+/));
  if (families.some((id) => ['fedora', 'rhel', 'centos'].includes(id))) return 'sudo dnf install nginx';
  if (families.some((id) => ['arch'].includes(id))) return 'sudo pacman -S nginx';
  if (families.some((id) => ['alpine'].includes(id))) return 'sudo apk add nginx';
  return 'sudo apt-get install nginx';
}

function readOsRelease(): string {
  try {
    return readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}
