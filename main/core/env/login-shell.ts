// A GUI app on macOS and Linux starts without the PATH the user's login shell builds (Homebrew,
// nvm, pyenv, ~/.local/bin…), so `python3` or `uvicorn` are "not found". As VS Code and Hyper do,
// the user's shell is run once as an interactive login shell, under a timeout, and asked for PATH.
// Only PATH is taken: the rest of the environment stays what the app was started with.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { pathVariable } from './path-variable.ts';

/** The PATH the stack's processes get, and how it was found. */
export interface PathResolution {
  /** The PATH the stack's processes get. */
  path: string;
  /** Where it came from: the login shell, or this process's own environment (Windows, a failure, or a timeout). */
  source: 'login-shell' | 'inherited';
  /** The shell that was asked (null when none was, e.g. on Windows). */
  shell: string | null;
  /** How long asking took, in ms (0 when no shell was asked). */
  durationMs: number;
  /** Why the login shell's PATH is not used, naming the fix (null when it is). */
  problem: string | null;
}

/** What to ask and where; every field defaults to this process's own situation. */
export interface ResolveOptions {
  /** The shell to ask; defaults to env.SHELL, then /bin/zsh on macOS and /bin/sh elsewhere. */
  shell?: string;
  /** How long the shell may take before it and everything it started are killed (default 5000, also for values below 1). */
  timeoutMs?: number;
  /** The platform to behave as (default process.platform). */
  platform?: NodeJS.Platform;
  /** The inherited environment (default process.env). */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUT_MS = 5000;
/** The longest delay a Node timer (and so execa) accepts. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long the shell's tree gets to end after SIGTERM before SIGKILL: interactive shells ignore SIGTERM. */
const FORCE_KILL_AFTER_MS = 500;
/** The fix that always works: a terminal's Switchyard inherits the login shell's PATH. */
const FROM_TERMINAL = 'start Switchyard from a terminal';

/** Asks the user's login shell for PATH; falls back to the inherited PATH, with the reason. Never throws. */
export async function resolveLoginShellPath(options: ResolveOptions = {}): Promise<PathResolution> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') {
    // Windows GUI apps already get the user's PATH from the registry.
    return { path: inheritedPath(env, platform), source: 'inherited', shell: null, durationMs: 0, problem: null };
  }
  const inherited = inheritedPath(env, platform);
  const shell = options.shell || env.SHELL || (platform === 'darwin' ? '/bin/zsh' : '/bin/sh');
  const timeoutMs = clampTimeout(options.timeoutMs);
  const started = performance.now();
  let asked: { path: string } | { problem: string };
  try {
    asked = await askShell(shell, shellEnv(env), timeoutMs);
  } catch (error) {
    // execa reports failures in its result; this is for the unforeseen, since callers rely on no throw.
    asked = { problem: `asking ${shell} for PATH failed (${error instanceof Error ? error.message : String(error)}); ${FROM_TERMINAL}` };
  }
  const durationMs = Math.round(performance.now() - started);
  if ('problem' in asked) return { path: inherited, source: 'inherited', shell, durationMs, problem: asked.problem };
  return { path: mergePaths(asked.path, inherited, ':'), source: 'login-shell', shell, durationMs, problem: null };
}

/** Login-shell entries first, then inherited entries it lacks; no duplicates, no empty entries. */
export function mergePaths(loginShell: string, inherited: string, delimiter: string = path.delimiter): string {
  const entries = new Set([...loginShell.split(delimiter), ...inherited.split(delimiter)]);
  entries.delete('');
  return [...entries].join(delimiter);
}

async function askShell(shell: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ path: string } | { problem: string }> {
  // Unique delimiters make anything the startup files print (banners, motd, ANSI codes) irrelevant.
  // The script is valid in sh, bash, zsh and fish; quoted "$PATH" is ':'-joined in fish 3+ too.
  const mark = `_SWITCHYARD_PATH_${randomBytes(8).toString('hex')}_`;
  const result = await execa(shell, ['-ilc', `printf '%s%s%s' '${mark}' "$PATH" '${mark}'`], {
    env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: timeoutMs,
    forceKillAfterDelay: FORCE_KILL_AFTER_MS,
    // Its own process group, signalled as a whole: a `sleep` or a slow tool that an rc file
    // started dies with the shell instead of holding stdout open. It also leaves the shell
    // without a controlling terminal, so job control cannot stop it with SIGTTOU/SIGTTIN.
    killDescendants: true,
    windowsHide: true,
  });
  const files = startupFilesOf(shell);
  if (result.timedOut) {
    return { problem: `${shell} took longer than ${timeoutMs / 1000} s to start (reading ${files}); make that faster, or ${FROM_TERMINAL}` };
  }
  if (result.exitCode === undefined && result.signal === undefined) {
    const missing = result.code === 'ENOENT';
    const what = missing ? `the login shell ${shell} does not exist` : `the login shell ${shell} could not be started (${result.code ?? result.shortMessage})`;
    return { problem: `${what}; set SHELL to an installed shell, or ${FROM_TERMINAL}` };
  }
  if (result.signal !== undefined) {
    return { problem: `${shell} was killed by ${result.signal} while reading ${files}; ${FROM_TERMINAL}` };
  }
  if (result.exitCode !== 0) {
    const said = lastLine(String(result.stderr));
    const detail = said ? ` (${said})` : '';
    return { problem: `${shell} exited with code ${result.exitCode} while reading ${files}${detail}; fix the error there, or ${FROM_TERMINAL}` };
  }
  const stdout = String(result.stdout);
  const start = stdout.indexOf(mark);
  const end = start === -1 ? -1 : stdout.indexOf(mark, start + mark.length);
  if (end === -1) {
    return { problem: `${shell} exited without printing PATH; check whether something in ${files} exits or starts another program, or ${FROM_TERMINAL}` };
  }
  const found = stdout.slice(start + mark.length, end);
  if (!found) return { problem: `${shell} reported an empty PATH; check ${files}, or ${FROM_TERMINAL}` };
  return { path: found };
}

/** A whole number of ms that execa accepts; for execa 0 means no timeout, which is never wanted here. */
function clampTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs) || timeoutMs < 1) return DEFAULT_TIMEOUT_MS;
  return Math.min(Math.round(timeoutMs), MAX_TIMER_MS);
}

/** The inherited environment, made safe for an interactive shell that must not wait or take over. */
function shellEnv(inherited: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    // oh-my-zsh must neither prompt for an update nor start tmux, either of which blocks.
    DISABLE_AUTO_UPDATE: 'true',
    ZSH_TMUX_AUTOSTARTED: 'true',
    ZSH_TMUX_AUTOSTART: 'false',
  };
  // Set inside Electron, it would make any `electron` or VS Code the rc files run behave as node.
  delete env.ELECTRON_RUN_AS_NODE;
  return env;
}

function inheritedPath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  return pathVariable(env, platform) ?? '';
}

/** The startup files an interactive login shell of this kind reads, for naming the culprit. */
function startupFilesOf(shell: string): string {
  const name = path.posix.basename(shell);
  if (name === 'zsh') return '~/.zprofile or ~/.zshrc';
  if (name === 'bash') return '~/.bash_profile or ~/.bashrc';
  if (name === 'fish') return '~/.config/fish/config.fish';
  if (name === 'sh' || name === 'dash' || name === 'ksh' || name === 'mksh') return '~/.profile';
  return `the startup files of ${shell}`;
}

/** The last non-blank line a shell wrote, without colours, short enough for a message. */
function lastLine(text: string): string {
  const lines = stripVTControlCharacters(text)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.at(-1) ?? '').slice(0, 200);
}
