// Opens a file in the person's editor: a running one (VS Code, Sublime, a JetBrains IDE…) or
// $VISUAL/$EDITOR, as launch-editor guesses it. Started here rather than by launch-editor, which
// spawns with this process's environment: the editor is looked for, and runs, with the login
// shell's PATH, which a GUI app is not started with and which this process never makes its own.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import launchEditor from 'launch-editor';

/** launch-editor's guess: the editor's command and arguments, or `[null]` when it finds none. */
const guessEditor = createRequire(import.meta.url)('launch-editor/guess') as () => (string | null)[];

/** Opens `file` in an editor found and run with `env`; `onFailed` hears why none could open it. */
export function openInEditor(file: string, env: NodeJS.ProcessEnv, onFailed: (problem: string) => void): void {
  if (process.platform === 'win32') {
    // Windows GUI apps get the user's PATH already, and its editors are often batch files that
    // launch-editor knows how to start.
    launchEditor(file, (_file, problem) => onFailed(problem ?? 'no editor found'));
    return;
  }
  const [editor, ...args] = guessEditor();
  if (!editor) {
    onFailed('no editor found');
    return;
  }
  // A failed spawn may report both an error and an exit: the person hears of it once.
  let failed = false;
  const fail = (problem: string) => {
    if (!failed) onFailed(problem);
    failed = true;
  };
  const child = spawn(editor, [...args.filter((arg) => arg !== null), file], { env, stdio: 'ignore' });
  child.on('error', (error) => fail(`${editor}: ${error.message}`));
  child.on('exit', (code) => {
    if (code) fail(`${editor} exited with code ${code}`);
  });
}
