// Whole lines from Python's forked workers. With PYTHONUNBUFFERED=1 Python writes every piece of a
// print() with a write of its own (the text, then "\n"), so the workers of one pre-fork master
// (gunicorn -w 3), sharing one pipe, glue their lines together and leave blank ones. Line-buffered,
// Python writes each line with one write, and a pipe never splits a write of up to PIPE_BUF (4 KiB).
// Python has no variable for line buffering (only a terminal gets it), so a `sitecustomize` on
// PYTHONPATH turns "unbuffered" into "line-buffered" at start-up: output still appears line by
// line at once. It then loads the `sitecustomize` it shadows (Debian's, a virtualenv's) and leaves
// sys.path as it was. Where it is not loaded (`python -I`, `-E`, `-S`, Python < 3.7) Python stays
// unbuffered: output at once, as before.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The hook, acting only where PYTHONUNBUFFERED asks for output at once (a user who unsets it gets Python's own buffering). */
const SITECUSTOMIZE = `# Written by Switchyard: makes unbuffered stdout and stderr line-buffered, so that the lines of
# processes sharing one pipe (a pre-fork server's workers) are each written whole.
import os
import sys


def _switchyard_whole_lines():
    if not os.environ.get("PYTHONUNBUFFERED"):
        return
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        try:
            reconfigure(line_buffering=True, write_through=False)
        except Exception:
            pass


def _switchyard_load_shadowed():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != here]
    sys.modules.pop(__name__, None)
    try:
        import sitecustomize  # noqa: F401  the one this file shadows, if there is one
    except ImportError as error:
        if error.name != "sitecustomize":
            raise


_switchyard_whole_lines()
_switchyard_load_shadowed()
`;

let hookDir: string | null | undefined;

/** A private folder holding the hook, made once per Node process and removed when it exits; null when none can be made. */
function pythonHookDir(): string | null {
  if (hookDir !== undefined) return hookDir;
  try {
    // mkdtemp makes a folder only this user can write to: nobody else can slip code into it.
    const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-python-'));
    writeFileSync(path.join(dir, 'sitecustomize.py'), SITECUSTOMIZE);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    hookDir = dir;
  } catch {
    hookDir = null;
  }
  return hookDir;
}

/** `{ PYTHONPATH }` with the whole-lines hook in front of what it held; nothing when the hook could not be written. */
export function wholeLinesPythonPath(pythonPath: string | undefined): { PYTHONPATH?: string } {
  const dir = pythonHookDir();
  if (dir === null) return {};
  return { PYTHONPATH: pythonPath ? `${dir}${path.delimiter}${pythonPath}` : dir };
}
