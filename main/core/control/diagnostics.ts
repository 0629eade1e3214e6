// What the stack runs with, for the Diagnostics view. An app started from the desktop does not
// inherit the login shell's PATH, so "command not found" there is a question of which PATH; this
// answers it with the PATH the processes get and where each app's program resolves on it.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { CommandResolution, Diagnostics, ProxyEngineInfo } from '../../../shared/api.ts';
import type { AppSpec, StackSpec } from '../../../shared/stack.ts';
import { resolveProgram } from '../config/command.ts';
import { pathVariable } from '../env/path-variable.ts';

/**
 * Where the stack's PATH came from (main/core/env/login-shell.ts's PathResolution has these fields).
 * The PATH itself is the stack's own (`Stack.basePath`), so the two cannot disagree.
 */
export interface PathOrigin {
  source: 'login-shell' | 'inherited';
  shell: string | null;
  durationMs: number;
  problem: string | null;
}

/** Which host runs the core, and where the PATH it gave the stack's processes came from. */
export interface HostEnvironment {
  host: 'cli' | 'desktop';
  path: PathOrigin;
}

/** A core started from a terminal: its processes inherit the terminal's PATH. */
export function inheritedEnvironment(): HostEnvironment {
  return { host: 'cli', path: { source: 'inherited', shell: null, durationMs: 0, problem: null } };
}

/** The diagnostics of a stack run by this process with `environment`, whose processes get `basePath`, and whose proxy `proxy` says what it runs on. */
export async function collectDiagnostics(
  spec: StackSpec,
  environment: HostEnvironment,
  basePath: string,
  startedAt: number,
  proxy: () => Promise<ProxyEngineInfo | null> = () => Promise.resolve(null),
): Promise<Diagnostics> {
  const origin = environment.path;
  const [entries, commands, engine] = await Promise.all([pathEntries(basePath, spec.dir), Promise.all(spec.apps.map((app) => resolveCommand(app, basePath))), proxy()]);
  return {
    runtime: {
      host: environment.host,
      node: process.versions.node,
      electron: process.versions.electron ?? null,
      platform: process.platform,
      arch: process.arch,
      pid: process.pid,
      startedAt,
    },
    stack: { name: spec.name, file: spec.file },
    path: { value: basePath, entries, source: origin.source, shell: origin.shell, durationMs: origin.durationMs, problem: origin.problem },
    commands,
    proxy: engine,
  };
}

/** Each entry in search order; a relative one is looked up from the stack's folder. */
async function pathEntries(value: string, dir: string): Promise<Diagnostics['path']['entries']> {
  const dirs = value.split(path.delimiter).filter((entry) => entry !== '');
  return Promise.all(dirs.map(async (entry) => ({ dir: entry, exists: await isDirectory(path.resolve(dir, entry)) })));
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

// An app's own `env` may set PATH; its workers then search that one, as the stack spawns them.
async function resolveCommand(app: AppSpec, basePath: string): Promise<CommandResolution> {
  const command = app.argv[0] ?? '';
  const searched = pathVariable(app.env) ?? basePath;
  return { app: app.name, command, resolved: await resolveProgram(command, app.cwd, searched) };
}
