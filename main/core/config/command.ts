// Commands run without a shell: a string is split like argv and anything only a shell would do is refused.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'shell-quote';
import which from 'which';

// shell-quote expands `$VAR` (to '' when unknown); hiding every `$` behind a private-use character
// keeps variables literal, as a program started without a shell receives them.
const DOLLAR_STAND_IN = '\uE000';

/** Splits a command string into argv with shell quoting rules, refusing shell operators. */
export function splitCommand(text: string): string[] {
  const entries = parse(text.replaceAll('$', DOLLAR_STAND_IN));
  const argv: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') {
      argv.push(entry.replaceAll(DOLLAR_STAND_IN, '$'));
      continue;
    }
    const found = 'comment' in entry ? '#' : entry.op === 'glob' ? entry.pattern : entry.op;
    throw new Error(
      `command '${text}' uses the shell syntax '${found.replaceAll(DOLLAR_STAND_IN, '$')}', but commands run without a shell; ` +
        `quote it if it is a plain argument, write the command as a list, or use command: [sh, -c, ${JSON.stringify(text)}]`,
    );
  }
  if (argv.length === 0) throw new Error('command is empty; write the program and its arguments, like node server.js');
  return argv;
}

/**
 * The absolute path of the program argv[0] names, or null when it cannot be run: a path with a slash
 * is taken relative to cwd, a bare name is looked up on PATH (with PATHEXT on Windows).
 */
export async function resolveProgram(argv0: string, cwd: string, PATH: string | undefined): Promise<string | null> {
  const separator = process.platform === 'win32' ? /[\\/]/ : /\//;
  if (separator.test(argv0)) {
    const file = path.resolve(cwd, argv0);
    if (process.platform === 'win32') return which(file, { nothrow: true });
    try {
      if (!(await stat(file)).isFile()) return null;
      await access(file, constants.X_OK);
      return file;
    } catch {
      return null;
    }
  }
  // The worker is spawned in cwd, so a relative PATH entry (`node_modules/.bin`) is relative to it.
  const searched = (PATH ?? '')
    .split(path.delimiter)
    .filter((entry) => entry !== '')
    .map((entry) => path.resolve(cwd, entry))
    .join(path.delimiter);
  if (searched === '') return null;
  return which(argv0, { nothrow: true, path: searched });
}

/**
 * Why `argv0` cannot be run, saying where it was looked for and by which rule: a program path with a
 * slash is relative to the app's cwd, as in a shell started in that folder (Procfile and Compose
 * read it so too); a bare name is looked for on PATH only, never in cwd.
 */
export async function describeMissingProgram(argv0: string, where: { cwd: string; stackDir: string; PATH: string | undefined; what: string }): Promise<string> {
  const { cwd, stackDir, what } = where;
  // `app 'api'` or `task 'migrate'`: whose cwd it is.
  const owners = `the ${what.split(' ')[0]}'s cwd`;
  const shownCwd = path.relative(stackDir, cwd) || '.';
  if (/[\\/]/.test(argv0)) {
    const file = path.resolve(cwd, argv0);
    const kind = await fileKind(file);
    const problem = kind === 'file' ? 'is not executable' : kind === 'directory' ? 'is a folder, not a program' : 'not found';
    const fix = kind === 'file' ? `make it executable (chmod +x ${file})` : 'fix the path';
    const relativeToStack = path.resolve(stackDir, argv0);
    const elsewhere = cwd !== stackDir && kind === 'missing' && (await fileKind(relativeToStack)) === 'file' ? `; there is one at ${relativeToStack}, so from cwd '${shownCwd}' write ${relativePath(cwd, relativeToStack)}` : '';
    return `command '${argv0}' ${problem} (${what}): looked for ${file}, as a program path is relative to ${owners} '${shownCwd}' (as in a shell started there); ${fix}${elsewhere}`;
  }
  const dirs = (where.PATH ?? '').split(path.delimiter).filter((entry) => entry !== '');
  const shown = dirs.length === 0 ? 'PATH is empty' : `looked in ${dirs.join(', ')}`;
  const local = (await fileKind(path.join(cwd, argv0))) === 'file' ? `; ${path.join(cwd, argv0)} exists, but a bare name is looked for on PATH only: write ./${argv0}` : '';
  return `command '${argv0}' not found on PATH (${what}): ${shown}; install it, fix the name, or give its path relative to ${owners}, like ./venv/bin/${argv0}${local}`;
}

async function fileKind(file: string): Promise<'file' | 'directory' | 'missing'> {
  try {
    return (await stat(file)).isDirectory() ? 'directory' : 'file';
  } catch {
    return 'missing';
  }
}

function relativePath(from: string, to: string): string {
  const relative = path.relative(from, to);
  return relative.startsWith('..') ? relative : `./${relative}`;
}
