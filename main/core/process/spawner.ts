// How a worker process comes to life. Supervisors receive a Spawner rather than calling execa
// themselves, so the same supervisor runs under the CLI, the tests and Electron.

import type { Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import type net from 'node:net';
import { execa } from 'execa';

/** What to run: never through a shell. */
export interface SpawnRequest {
  argv: readonly string[];
  cwd: string;
  /** The complete environment; nothing else is inherited. */
  env: Readonly<Record<string, string>>;
  /** Open a Node IPC channel (the child must be a Node program); only Switchyard's own processes ask. */
  ipc?: boolean;
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
  /** The IPC channel, when one was asked for. */
  readonly channel?: IpcChannel;
}

/** A Node IPC channel to a child: JSON messages, optionally carrying a server or socket handle. */
export interface IpcChannel {
  send(message: unknown, handle?: net.Server | net.Socket): Promise<void>;
  onMessage(listener: (message: unknown, handle: unknown) => void): void;
}

/** Starts a process; must not throw for a missing program but report it through `exited`. */
export type Spawner = (request: SpawnRequest) => SpawnedProcess;

/** The real spawner: execa, no shell, own process group on POSIX, no console window on Windows. */
export const execaSpawner: Spawner = (request) => {
  if (request.ipc) return spawnWithChannel(request);
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
  // The exit is the process's own: a descendant that outlives it (a daemon, a setsid child) may hold
  // stdout and stderr open for good, so their closing cannot be what says the worker ended.
  const exited = new Promise<SpawnExit>((resolve) => {
    child.nodeChildProcess.once('exit', (code, signal) => void outputSettled(child.stdout, child.stderr).then(() => resolve({ code, signal, error: null })));
    // Settles only for a process that never started: a started one has already resolved on its exit.
    child.then(
      (result) => {
        if (child.pid !== undefined) return;
        const code = (result as { code?: string }).code;
        resolve({ code: null, signal: null, error: { code: code ?? 'ESPAWN', message: result.shortMessage ?? String(result.message) } });
      },
      (error: unknown) => resolve({ code: null, signal: null, error: { code: 'ESPAWN', message: error instanceof Error ? error.message : String(error) } }),
    );
  });
  return { pid: child.pid, stdout: child.stdout, stderr: child.stderr, exited };
};

/**
 * Switchyard's own Node processes (the proxy, static servers) with an IPC channel. node:child_process
 * rather than execa, whose message API cannot carry the server handle a proxy handover needs.
 */
function spawnWithChannel(request: SpawnRequest): SpawnedProcess {
  const [file, ...args] = request.argv;
  const child = spawn(file ?? '', args, {
    cwd: request.cwd,
    env: request.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    windowsHide: true,
    detached: process.platform !== 'win32',
  });
  const exited = new Promise<SpawnExit>((resolve) => {
    let spawnError: SpawnExit['error'] = null;
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) spawnError = { code: error.code ?? 'ESPAWN', message: error.message };
    });
    child.once('exit', (code, signal) => void outputSettled(child.stdout as Readable, child.stderr as Readable).then(() => resolve({ code, signal, error: null })));
    // A process that never started has no exit, only a close.
    child.once('close', (code, signal) => resolve({ code, signal, error: spawnError }));
  });
  // A send to a child that has just died fails with EPIPE or ERR_IPC_CHANNEL_CLOSED: the exit reports it.
  child.on('error', () => {});
  const channel: IpcChannel = {
    send: (message, handle) =>
      new Promise((resolve, reject) => {
        if (!child.connected) return reject(new Error('the IPC channel is closed'));
        child.send(message as object, handle, (error: Error | null) => (error ? reject(error) : resolve()));
      }),
    onMessage: (listener) => child.on('message', listener),
  };
  // Both are pipes, as stdio asks, so neither is null.
  return { pid: child.pid, stdout: child.stdout as Readable, stderr: child.stderr as Readable, exited, channel };
}

/** How long the output of a process that exited may take to arrive, unless a descendant holds it open. */
const OUTPUT_GRACE_MS = 250;

/**
 * Resolves once both streams have closed, or after OUTPUT_GRACE_MS: the last lines a process wrote
 * are usually still in the pipe when its exit is seen, and its last stderr lines say why it ended.
 */
function outputSettled(...streams: Readable[]): Promise<void> {
  const closed = streams.map((stream) => (stream.closed || stream.destroyed ? Promise.resolve() : new Promise<void>((resolve) => stream.once('close', () => resolve()))));
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, OUTPUT_GRACE_MS)));
  return Promise.race([Promise.all(closed).then(() => undefined), grace]).finally(() => clearTimeout(timer));
}
