// How a worker process comes to life. Supervisors receive a Spawner rather than calling execa
// themselves, so the same supervisor runs under the CLI, the tests and Electron.

import type { Readable } from 'node:stream';
import { execa } from 'execa';

/** What to run: never through a shell. */
export interface SpawnRequest {
  argv: readonly string[];
  cwd: string;
  /** The complete environment; nothing else is inherited. */
  env: Readonly<Record<string, string>>;
}

/** How a process ended; `error` is set when it never started (ENOENT, EACCES …). */
export interface SpawnExit {
  code: number | null;
  signal: string | null;
  error: { code: string; message: string } | null;
}

/** A running child with its output streams. */
export interface SpawnedProcess {
  /** Undefined when the program could not be started; `exited` then carries the error. */
  readonly pid: number | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<SpawnExit>;
}

/** Starts a process; must not throw for a missing program but report it through `exited`. */
export type Spawner = (request: SpawnRequest) => SpawnedProcess;

/** The real spawner: execa, no shell, own process group on POSIX, no console window on Windows. */
export const execaSpawner: Spawner = (request) => {
  const [file, ...args] = request.argv;
  const child = execa(file ?? '', args, {
    cwd: request.cwd,
    env: request.env,
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    windowsHide: true,
    // A group of its own lets one signal reach the whole tree, and keeps the terminal's Ctrl-C
    // away from workers so the orchestrator decides the order of shutdown.
    detached: process.platform !== 'win32',
    cleanup: false,
    forceKillAfterDelay: false,
  });
  const exited = child.then(
    (result): SpawnExit => {
      const code = (result as { code?: string }).code;
      const neverStarted = child.pid === undefined;
      return {
        code: result.exitCode ?? null,
        signal: result.signal ?? null,
        error: neverStarted ? { code: code ?? 'ESPAWN', message: result.shortMessage ?? String(result.message) } : null,
      };
    },
    (error: unknown): SpawnExit => ({
      code: null,
      signal: null,
      error: { code: 'ESPAWN', message: error instanceof Error ? error.message : String(error) },
    }),
  );
  return { pid: child.pid, stdout: child.stdout, stderr: child.stderr, exited };
};
