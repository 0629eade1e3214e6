// Opening the stack file in an editor: the editor is looked for, and runs, with the environment it
// is given (the login shell's PATH), not with this process's own.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openInEditor } from '../../main/electron/editor.ts';
import { waitFor } from '../helpers/wait.ts';

let dir: string;
const originalEditor = process.env.LAUNCH_EDITOR;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-editor-'));
  // The editor launch-editor is told to use, by name only: found on a PATH, or not at all.
  process.env.LAUNCH_EDITOR = 'sy-test-editor';
});
afterEach(() => {
  if (originalEditor === undefined) delete process.env.LAUNCH_EDITOR;
  else process.env.LAUNCH_EDITOR = originalEditor;
  rmSync(dir, { recursive: true, force: true });
});

describe('openInEditor', () => {
  it('finds and runs the editor on the PATH it is given', async () => {
    const bin = path.join(dir, 'bin');
    const opened = path.join(dir, 'opened.txt');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'sy-test-editor'), `#!/bin/sh\nprintf '%s\\n%s\\n' "$1" "$PATH" > ${JSON.stringify(opened)}\n`);
    chmodSync(path.join(bin, 'sy-test-editor'), 0o755);
    const file = path.join(dir, 'switchyard.yaml');
    writeFileSync(file, 'name: x\n');
    const loginPath = `${bin}${path.delimiter}${process.env.PATH}`;
    const problems: string[] = [];
    openInEditor(file, { ...process.env, PATH: loginPath }, (problem) => problems.push(problem));
    await waitFor(() => existsSync(opened) && readFileSync(opened, 'utf8').split('\n').length >= 3, 'the editor to run');
    expect(readFileSync(opened, 'utf8').split('\n').slice(0, 2)).toEqual([file, loginPath]);
    expect(problems).toEqual([]);
    expect(process.env.PATH?.split(path.delimiter)).not.toContain(bin);
  });

  it('says once why no editor could open the file', async () => {
    const file = path.join(dir, 'switchyard.yaml');
    writeFileSync(file, 'name: x\n');
    const problems: string[] = [];
    openInEditor(file, { ...process.env }, (problem) => problems.push(problem));
    await waitFor(() => problems.length > 0, 'the failure');
    expect(problems).toEqual([expect.stringMatching(/^sy-test-editor: spawn sy-test-editor ENOENT/)]);
  });
});
