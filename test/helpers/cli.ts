// Running the real CLI as a child process, the way a person does.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { expect } from 'vitest';
import type { ProcessInfo } from '../../shared/process.ts';
import { waitFor } from './wait.ts';

/** The CLI's launcher script. */
export const CLI = fileURLToPath(new URL('../../main/cli/switchyard.js', import.meta.url));

/** Runs a CLI command to completion; never rejects on a non-zero exit. */
export function runCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  return execa(process.execPath, [CLI, ...args], { cwd, env: { NO_COLOR: '1', ...env }, reject: false, timeout: 30_000 });
}

/** A running `switchyard up` with its output collected as it arrives. */
export interface UpProcess {
  child: ResultPromise<{ reject: false; buffer: false; stdin: 'ignore' }>;
  output: () => string;
  waitForOutput: (text: string | RegExp, timeout?: number) => Promise<void>;
}

/** Starts `switchyard up` in `cwd`; stop it with `down`, a signal, or `child.kill`. */
export function startUp(cwd: string, args: string[] = [], env: Record<string, string> = {}): UpProcess {
  const child = execa(process.execPath, [CLI, 'up', ...args], {
    cwd,
    env: { NO_COLOR: '1', ...env },
    reject: false,
    buffer: false,
    stdin: 'ignore',
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const output = () => text;
  let exited = false;
  void child.then(() => (exited = true));
  const waitForOutput = async (wanted: string | RegExp, timeout = 15_000) => {
    const seen = () => (typeof wanted === 'string' ? text.includes(wanted) : wanted.test(text));
    try {
      // Stop waiting as soon as up has exited: the output will not change any more.
      await waitFor(() => seen() || exited, `output ${String(wanted)}`, { timeout });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- output so far ---\n${text}`, { cause: error });
    }
    if (!seen()) throw new Error(`up exited before printing ${String(wanted)}\n--- output ---\n${text}`);
  };
  return { child, output, waitForOutput };
}

/** A temporary folder holding `switchyard.yaml` with the given text; `cleanup` removes it. */
export function stackDir(yaml: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-cli-'));
  writeFileSync(path.join(dir, 'switchyard.yaml'), yaml);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `switchyard ps --json` of the stack running in `cwd`; the test fails, with ps's stderr, when ps does. */
export async function psJson(cwd: string): Promise<ProcessInfo[]> {
  const result = await runCli(['ps', '--json'], cwd);
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return JSON.parse(String(result.stdout)) as ProcessInfo[];
}

/** The same while `up` may still be starting: no processes until ps finds the stack. */
export async function psJsonOnceUp(cwd: string): Promise<ProcessInfo[]> {
  const result = await runCli(['ps', '--json'], cwd);
  return result.exitCode === 0 ? (JSON.parse(String(result.stdout)) as ProcessInfo[]) : [];
}
