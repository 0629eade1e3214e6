// The engine's nginx.conf on disk: every new one is written beside the running one and checked with
// `nginx -t` first; only a configuration nginx accepts replaces it (a rename, so that a master
// reading it on a reload or a restart never sees half a file).

import { spawn } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SwitchyardError } from '../../errors.ts';

/** How long `nginx -t` may take (it resolves the hosts of URL routes). */
const TEST_TIMEOUT_MS = 15_000;

/** nginx's prefix folder and the configuration files in it. */
export class NginxConfigFiles {
  /** The prefix (`-p`): pid file, temp folders and the configuration live here. */
  readonly prefix: string;
  /** The configuration the master runs (`-c`). */
  readonly file: string;
  private readonly candidate: string;
  /** The last configuration `nginx -t` refused, which its message points into. */
  private readonly refused: string;
  private readonly binary: string;

  constructor(binary: string, prefix: string) {
    this.binary = binary;
    this.prefix = prefix;
    this.file = path.join(prefix, 'nginx.conf');
    this.candidate = path.join(prefix, 'nginx.conf.next');
    this.refused = path.join(prefix, 'nginx.conf.refused');
  }

  /** The arguments that run nginx in the foreground on this prefix and configuration, logging to stderr from the start. */
  args(file = this.file): string[] {
    return ['-p', `${this.prefix}${path.sep}`, '-c', file, '-e', 'stderr'];
  }

  /**
   * Writes `text` as the next configuration and has `nginx -t` check it; rejects with nginx's own
   * words when it refuses, leaving the running configuration as it was.
   */
  async test(text: string): Promise<void> {
    mkdirSync(this.prefix, { recursive: true });
    writeFileSync(this.candidate, text);
    const problem = await this.check(this.candidate);
    if (problem === null) return;
    // Kept under its own name, since nginx's message gives a line of it; the next candidate would overwrite it.
    renameSync(this.candidate, this.refused);
    throw new SwitchyardError('bad-request', `nginx -t refused the configuration: ${problem.replaceAll(this.candidate, this.refused)}`);
  }

  /** nginx's complaint about `file`, or null when `nginx -t` accepts it. */
  private check(file: string): Promise<string | null> {
    return new Promise((resolve) => {
      const child = spawn(this.binary, ['-t', '-q', ...this.args(file)], { stdio: ['ignore', 'ignore', 'pipe'], timeout: TEST_TIMEOUT_MS });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', (error) => resolve(error.message));
      child.on('close', (code, signal) => resolve(code === 0 ? null : nginxComplaint(stderr, signal === null ? `nginx -t exited with ${code}` : `nginx -t ended by ${signal}`)));
    });
  }

  /** Puts the configuration that passed `test` in place of the running one. */
  install(): void {
    renameSync(this.candidate, this.file);
  }

  /** Drops the configuration that passed `test` without installing it. */
  discard(): void {
    rmSync(this.candidate, { force: true });
  }
}

/** `2026/12/07 01:12:47 [emerg] 28063#28063: ` or `nginx: [emerg] `: what comes before nginx's message. */
const LOG_PREFIX = /^(?:nginx: )?(?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )?\[(\w+)\] (?:\d+#\d+: )?/;

/** What nginx said was wrong: its errors without their time and pid (warnings only when there is nothing else). */
function nginxComplaint(stderr: string, otherwise: string): string {
  const messages = stderr.split('\n').flatMap((line) => {
    const match = LOG_PREFIX.exec(line.trim());
    return match ? [{ level: match[1] ?? '', text: line.trim().slice(match[0].length) }] : [];
  });
  const errors = messages.filter((message) => message.level !== 'warn' && message.level !== 'notice');
  const shown = (errors.length > 0 ? errors : messages).map((message) => message.text);
  return shown.length > 0 ? shown.join('; ') : (stderr.trim() || otherwise);
}
