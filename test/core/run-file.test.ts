import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFilePath, writeRunFile } from '../../main/core/host/run-file.ts';

const contents = { pid: process.pid, port: 45678, token: 'secret-token', stackFile: 'switchyard.yaml', startedAt: 0 };

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-run-'));
  file = runFilePath(path.join(dir, 'switchyard.yaml'));
  mkdirSync(path.dirname(file), { recursive: true });
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('run file write failures', () => {
  it('removes its temp file when the disk is full (ENOSPC)', () => {
    // /dev/full answers every write with ENOSPC, for root too; the temp path leads there.
    const temp = `${file}.${process.pid}.tmp`;
    symlinkSync('/dev/full', temp);
    expect(() => writeRunFile(file, contents)).toThrow(/ENOSPC/);
    expect(existsSync(temp)).toBe(false);
    expect(readdirSync(path.dirname(file))).toEqual([]);
    expect(existsSync('/dev/full')).toBe(true);
  });

  it('removes its temp file when the rename fails', () => {
    mkdirSync(path.join(file, 'in-the-way'), { recursive: true });
    expect(() => writeRunFile(file, contents)).toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(path.dirname(file))).toEqual(['run.json']);
  });
});
