// `.switchyard/run.json` beside the stack file: how other commands find the running instance.
// It holds the control token, so only its owner may read it.

import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunFile } from '../../../shared/api.ts';

/** Where `up` writes its run file for a given stack file. */
export function runFilePath(stackFile: string): string {
  return path.join(path.dirname(stackFile), '.switchyard', 'run.json');
}

/** Writes atomically, with mode 0600 in a 0700 folder. */
export function writeRunFile(file: string, contents: RunFile): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A folder left from before with wider permissions is tightened too.
  chmodSync(dir, 0o700);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
    // The mode given to writeFileSync is masked by umask; make sure.
    chmodSync(temp, 0o600);
    renameSync(temp, file);
  } catch (error) {
    // A full disk or a failed rename must not leave a half-written file holding the token behind.
    rmSync(temp, { force: true });
    throw error;
  }
}

/** The run file's contents, or null when there is none or it is unreadable. */
export function readRunFile(file: string): RunFile | null {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<RunFile>;
    if (typeof data.pid !== 'number' || typeof data.port !== 'number' || typeof data.token !== 'string') return null;
    return data as RunFile;
  } catch {
    return null;
  }
}

/** Removes the run file if it is still the one this process wrote. */
export function removeRunFile(file: string, pid = process.pid): void {
  if (readRunFile(file)?.pid === pid) rmSync(file, { force: true });
}
