// Running a Switchyard Stack inside a benchmark: wait until every process is ready (or say exactly
// why not, from the processes' own stderr and log lines), and stop it leaving nothing behind.

import path from 'node:path';
import type { ProcessInfo } from '../../shared/process.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../shared/stack.ts';
import type { AppSpec, StackSpec, StaticSiteSpec } from '../../shared/stack.ts';
import type { Stack } from '../../main/core/stack.ts';
import { alive } from '../../test/helpers/processes.ts';
import { LOOPBACK } from './net.ts';

/** A stack in `dir` whose proxy on loopback `port` routes `/` to `to`, an app of `apps` or a site of `statics`. */
export function rootRouteStack(name: string, dir: string, port: number, to: string, { apps = [], statics = [] }: { apps?: AppSpec[]; statics?: StaticSiteSpec[] }): StackSpec {
  const target = statics.some((site) => site.name === to) ? 'static' : 'app';
  return {
    name,
    file: path.join(dir, 'switchyard.yaml'),
    dir,
    proxy: {
      listen: { host: LOOPBACK, port },
      routes: [{ host: null, path: '/', to, target, stripPrefix: false, timeout: 60_000, at: { line: 1, col: 1 } }],
      ...DEFAULT_CLIENT_LIMITS,
    },
    statics,
    apps,
    tasks: [],
  };
}

/** Starts the stack and waits until every process is ready. */
export async function startStack(stack: Stack, deadlineMs: number): Promise<void> {
  await stack.start();
  await untilAllReady(stack, deadlineMs);
}

/**
 * Resolves once every process of the stack is ready; rejects on the first crash, at the deadline,
 * or as soon as `stuck` names a reason to stop waiting.
 */
export function untilAllReady(stack: Stack, deadlineMs: number, stuck: () => string | null = () => null): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const why = stuck();
      if (why !== null) return finish(new Error(why));
      const processes = stack.processes();
      const broken = processes.find((p) => p.state === 'crashed' || p.state === 'failed' || p.state === 'backoff');
      if (broken) return finish(new Error(`${broken.name} ${broken.state} while the stack started: ${describe(stack, broken)}`));
      if (processes.length > 0 && processes.every((p) => p.state === 'ready')) finish(null);
    };
    const changes = stack.onProcessChange(check);
    // Not every reason to stop waiting comes with a state change (a refusal is only a log line).
    const poll = setInterval(check, 100);
    const timer = setTimeout(() => {
      const waiting = stack.processes().filter((p) => p.state !== 'ready');
      finish(new Error(`not ready after ${deadlineMs} ms: ${waiting.map((p) => `${p.name} ${p.state}: ${describe(stack, p)}`).join('; ')}`));
    }, deadlineMs);
    function finish(error: Error | null): void {
      clearTimeout(timer);
      clearInterval(poll);
      changes.dispose();
      if (error) reject(error);
      else resolve();
    }
    check();
  });
}

/** Why a process is where it is: its reason, its last stderr lines, else its last log lines. */
export function describe(stack: Stack, info: ProcessInfo): string {
  const parts = [info.reason ?? ''];
  if (info.lastStderr.length > 0) parts.push(info.lastStderr.slice(-5).join(' / '));
  else parts.push(lastLines(stack, info.name, 5));
  return parts.filter((part) => part.trim() !== '').join(' — ') || '(no output)';
}

/** The newest log lines of one process, joined on one line. */
export function lastLines(stack: Stack, source: string, count: number): string {
  return stack.logs
    .query({ sources: new Set([source]), tail: count })
    .map((line) => line.text)
    .join(' / ');
}

/** Stops the stack and checks that every pid it ever showed is gone. */
export async function stopStack(stack: Stack, extraPids: readonly number[] = []): Promise<void> {
  const pids = [...extraPids, ...stack.processes().flatMap((p) => (p.pid === null ? [] : [p.pid]))];
  await stack.stop();
  const survivors = pids.filter(alive);
  if (survivors.length > 0) throw new Error(`Stack.stop() left pids ${survivors.join(', ')} running`);
}
