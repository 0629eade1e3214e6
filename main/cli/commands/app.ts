// `switchyard app`: open the desktop app on a stack. Where Electron cannot start (no binary, no
// display, a missing system library), say why and run the same stack headless, as `up` does, so the
// command always does its main job.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DESKTOP_READY_MARKER } from '../../../shared/desktop.ts';
import { loadOrExit } from './check.ts';
import { up } from './up.ts';

/** The project root: Electron runs it as the app (package.json "main"). */
export const APP_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How long the first run may take to fetch the Electron binary. */
const DOWNLOAD_TIMEOUT_MS = 5 * 60_000;

/** How long the launcher waits, after Electron exits, for the rest of its output. */
const DRAIN_MS = 300;

/** Lines of Electron's stderr quoted when it fails to start. */
const QUOTED_LINES = 5;

export interface AppOptions {
  cwd: string;
  file: string | undefined;
}

/** The Electron executable, or why there is none. */
export type ElectronBinary = { ok: true; path: string } | { ok: false; problem: string };

export async function openApp(options: AppOptions): Promise<number> {
  // A broken stack file is reported here, in the terminal, before any window opens.
  const { file } = await loadOrExit(options.cwd, options.file, process.stderr);
  const binary = await findElectron(process.env);
  const problem = binary.ok ? displayProblem(process.platform, process.env) : binary.problem;
  if (problem || !binary.ok) return headless(options.cwd, file, problem ?? 'no Electron binary');
  const outcome = await runElectron(binary.path, file);
  if (outcome.started) return outcome.code;
  return headless(options.cwd, file, `Electron exited before its window opened (${outcome.why})`);
}

function headless(cwd: string, file: string, why: string): Promise<number> {
  process.stderr.write(`switchyard: the desktop app cannot start here: ${why}.\nswitchyard: running the stack headless instead; open the dashboard URL below in a browser.\n`);
  return up({ cwd, file });
}

/**
 * Finds the Electron binary: $SWITCHYARD_ELECTRON, else the `electron` package's, which is fetched
 * on first use (outside the npm registry) unless `fetch` is false. Never throws.
 */
export async function findElectron(env: NodeJS.ProcessEnv, options: { fetch?: boolean } = {}): Promise<ElectronBinary> {
  const explicit = env.SWITCHYARD_ELECTRON;
  if (explicit) {
    return existsSync(explicit) ? { ok: true, path: explicit } : { ok: false, problem: `SWITCHYARD_ELECTRON names ${explicit}, which does not exist` };
  }
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { ok: false, problem: 'the electron package is not installed; run `npm install`' };
  }
  const installed = () => {
    try {
      const binary = path.join(packageDir, 'dist', readFileSync(path.join(packageDir, 'path.txt'), 'utf8').trim());
      return existsSync(binary) ? binary : null;
    } catch {
      return null;
    }
  };
  const found = installed();
  if (found) return { ok: true, path: found };
  if (options.fetch === false) return { ok: false, problem: 'the Electron binary is not installed (node_modules/electron has no dist/); `npx install-electron` fetches it, from outside the npm registry' };
  process.stderr.write('switchyard: fetching the Electron binary (first run only)…\n');
  const failure = await download(path.join(packageDir, 'install.js'));
  const fetched = installed();
  if (fetched) return { ok: true, path: fetched };
  return {
    ok: false,
    problem: `the Electron binary is not installed and could not be fetched (${failure ?? 'no binary after the download'}); it comes from outside the npm registry, so run \`npx install-electron\` where that is reachable`,
  };
}

/** Runs electron's own installer; resolves to its last error line, or null when it succeeded. */
function download(installer: string): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [installer], { stdio: ['ignore', 'inherit', 'pipe'], timeout: DOWNLOAD_TIMEOUT_MS });
    let lastLine: string | null = null;
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (line.trim()) lastLine = line.trim();
    });
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code, signal) => resolve(code === 0 ? null : (lastLine ?? `exit ${code ?? signal}`)));
  });
}

/** Why no window can open on this system, or null. */
export function displayProblem(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | null {
  if (platform !== 'linux' && platform !== 'freebsd' && platform !== 'openbsd') return null;
  if (env.DISPLAY || env.WAYLAND_DISPLAY) return null;
  return 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset); run it in a desktop session, or under xvfb-run';
}

type ElectronOutcome = { started: true; code: number } | { started: false; why: string };

/** Runs the app until it exits, relaying its output and forwarding Ctrl-C and friends to it. */
function runElectron(binary: string, file: string): Promise<ElectronOutcome> {
  const env = { ...process.env };
  // Inherited from a parent that is itself Electron-as-Node, it would turn the app into a plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  // Its own process group: a terminal's Ctrl-C reaches the launcher only, which passes it on once
  // (the app stops the stack gracefully on the first and kills it on the second).
  const child = spawn(binary, [APP_ROOT, file], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
  let ready = false;
  const stderrTail: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith(DESKTOP_READY_MARKER)) ready = true;
    process.stdout.write(`${line}\n`);
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > QUOTED_LINES) stderrTail.shift();
    process.stderr.write(`${line}\n`);
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, forward);
  return new Promise((resolve) => {
    const done = (outcome: ElectronOutcome) => {
      for (const signal of signals) process.off(signal, forward);
      resolve(outcome);
    };
    child.on('error', (error) => done({ started: false, why: error.message }));
    // 'exit', not 'close': an editor the app opened may hold its output pipes long after it ended.
    child.on('exit', (code, signal) => {
      // Let the last lines (the marker, the error) arrive first, but not wait on pipes held by others.
      const drained = Promise.all([finished(child.stdout), finished(child.stderr)]).catch(() => {});
      void Promise.race([drained, delay(DRAIN_MS)]).then(() => {
        // Exiting cleanly before the window (the person quit from the first dialog, or another
        // instance took the stack) is not a failure to start.
        if (ready || code === 0) return done({ started: true, code: code ?? 1 });
        const quoted = stderrTail.filter((line) => line.trim()).join(' | ');
        done({ started: false, why: `${signal ? `signal ${signal}` : `exit ${code}`}${quoted ? `: ${quoted}` : ''}` });
      });
    });
  });
}
