// Child processes for the benchmarks: servers that announce their port on stdout, and a stop that
// always ends them, so no run leaves a process behind for the next one to trip over.

import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { untilAccepting } from './net.ts';

/** How long a child server may take to announce itself before the run fails. */
const START_DEADLINE_MS = 10_000;
/** How long a child may take to exit on SIGTERM before it is killed. */
const STOP_GRACE_MS = 3000;

/** A server running in a child process. */
export interface ChildServer {
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Runs `node file` and waits for its first stdout line, `{"port": n}`. The rest of its output is
 * read and dropped (a full pipe would block it); stderr is kept for the error message.
 */
export function startNodeServer(file: string, env: Record<string, string>, label: string): Promise<ChildServer> {
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      void stopChild(child).then(() => reject(new Error(`${label}: ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`)));
    };
    const timer = setTimeout(() => fail(`no port announced within ${START_DEADLINE_MS} ms`), START_DEADLINE_MS);
    child.once('error', (error) => fail(error.message));
    child.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal}) before announcing its port`));
    child.stdout.setEncoding('utf8').on('data', function first(text: string) {
      stdout += text;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      child.stdout.off('data', first);
      child.stdout.resume();
      clearTimeout(timer);
      child.removeAllListeners('exit');
      try {
        const { port } = JSON.parse(stdout.slice(0, newline)) as { port: number };
        resolve({ port, pid: child.pid as number, stop: () => stopChild(child) });
      } catch {
        fail(`announced ${JSON.stringify(stdout.slice(0, newline))} instead of {"port": n}`);
      }
    });
  });
}

/** Ends a child: SIGTERM, then SIGKILL if it is still there after a grace period. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * An anchor server (nginx, Caddy) spawned with its stderr piped and everything it writes in `dir`:
 * resolves once it accepts on `port`; when it exits or fails to spawn first, stops it, removes `dir`
 * and rejects with `detail(stderr)`.
 */
export async function anchorServer(name: string, child: ChildProcess, dir: string, port: number, deadlineMs: number, detail: (stderr: string) => string): Promise<ChildServer> {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  let spawnError: Error | null = null;
  child.once('error', (error) => (spawnError = error));
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await untilAccepting(port, deadlineMs, () => {
      if (spawnError) return `${name} did not start: ${(spawnError as Error).message}`;
      if (child.exitCode === null && child.signalCode === null) return null;
      return `${name} exited (code ${child.exitCode}): ${detail(stderr.trim())}`;
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid: child.pid as number, stop };
}
