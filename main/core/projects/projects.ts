// Which stack the desktop app opens: a stack file from whatever a person picked, the list of
// recent stacks, and a new stack copied from the demo. Plain Node; the shell persists the list.

import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import { findStackFile } from '../config/load.ts';
import { SwitchyardError } from '../errors.ts';

/**
 * The demo stack (examples/demo) that "New Stack from Demo" copies. Read from beside the code, so
 * electron-builder.yml must pack examples/demo (without its .switchyard folder) for the app to find it.
 */
export const DEMO_TEMPLATE_DIR = fileURLToPath(new URL('../../../examples/demo', import.meta.url));

/** Where a stack file was found, or what is wrong with what was picked and how to fix it. */
export type StackFileLocation = { ok: true; file: string } | { ok: false; problem: string };

const STACK_FILE_EXTENSIONS = ['.yaml', '.yml'];

/** The stack file for a folder or file picked in an Open dialog, given on the command line or opened from the OS. */
export function locateStackFile(target: string): StackFileLocation {
  const absolute = path.resolve(target);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, problem: `${absolute} does not exist; it may have been moved or deleted, so choose it again` };
    return { ok: false, problem: `cannot read ${absolute}: ${(error as Error).message}` };
  }
  if (isDirectory) {
    try {
      return { ok: true, file: findStackFile(absolute) };
    } catch {
      return { ok: false, problem: `${absolute} has no switchyard.yaml; choose the folder that holds it, or create one with File > New Stack from Demo` };
    }
  }
  if (!STACK_FILE_EXTENSIONS.includes(path.extname(absolute).toLowerCase())) {
    return { ok: false, problem: `${absolute} is not a stack file (a .yaml or .yml file); choose switchyard.yaml or the folder that holds it` };
  }
  return { ok: true, file: absolute };
}

/** One entry of the recent stacks menu. */
export interface RecentStack {
  /** The stack file, absolute. */
  file: string;
  name: string;
  /** Epoch milliseconds. */
  openedAt: number;
}

/**
 * The recent list with `entry` first: an older entry for the same file is dropped (paths compared
 * resolved, and without case on Windows and macOS, whose file systems usually ignore it), at most `max` kept.
 */
export function rememberStack(list: readonly RecentStack[], entry: RecentStack, max = 10, platform: NodeJS.Platform = process.platform): RecentStack[] {
  const paths = platform === 'win32' ? path.win32 : path.posix;
  const key = (file: string) => (platform === 'win32' || platform === 'darwin' ? paths.resolve(file).toLowerCase() : paths.resolve(file));
  const seen = new Set<string>();
  const out: RecentStack[] = [];
  for (const item of [{ ...entry, file: paths.resolve(entry.file) }, ...list]) {
    if (out.length >= max) break;
    if (seen.has(key(item.file))) continue;
    seen.add(key(item.file));
    out.push(item);
  }
  return out;
}

/** The recent list without the stack files that no longer exist. */
export function forgetMissing(list: readonly RecentStack[], exists: (file: string) => boolean = existsSync): RecentStack[] {
  return list.filter((item) => exists(item.file));
}

/** What "New Stack from Demo" copies, and where. */
export interface StackTemplateOptions {
  templateDir: string;
  /** Created when missing. */
  targetDir: string;
  /** The new stack's `name:`; a slug of the target folder's name by default. */
  name?: string;
}

/**
 * Copies a template stack into `targetDir` (without run state, node_modules or dotfiles) and gives
 * the copy its own name. Refuses, writing nothing, when the folder already holds a stack file or a
 * file the copy would overwrite. Returns the new stack file.
 */
export async function createStackFromTemplate(options: StackTemplateOptions): Promise<string> {
  const templateDir = path.resolve(options.templateDir);
  const targetDir = path.resolve(options.targetDir);
  let templateFile: string;
  try {
    templateFile = findStackFile(templateDir);
  } catch {
    throw new SwitchyardError('internal', `the stack template ${templateDir} has no switchyard.yaml; reinstall Switchyard`);
  }
  const name = (options.name ?? slug(path.basename(targetDir))).trim();
  if (name === '' || /[\r\n]/.test(name)) throw new SwitchyardError('bad-request', 'a stack name must be one line of text, like shop');

  if (existsSync(targetDir)) {
    if (!statSync(targetDir).isDirectory()) throw new SwitchyardError('bad-request', `${targetDir} is a file; choose a folder for the new stack`);
    const existing = locateStackFile(targetDir);
    if (existing.ok) throw new SwitchyardError('bad-request', `${targetDir} already holds a stack (${existing.file}); open it with File > Open, or choose an empty folder`);
  }
  const files = await templateFiles(templateDir);
  const taken = files.filter((relative) => existsSync(path.join(targetDir, relative)));
  if (taken.length > 0) {
    const shown = taken.length > 3 ? `${taken.slice(0, 3).join(', ')} and ${taken.length - 3} more` : taken.join(', ');
    throw new SwitchyardError('bad-request', `${targetDir} already has ${shown}, which the new stack would overwrite; choose an empty folder`);
  }
  // Everything that can fail on the template is done before the first write.
  const stackFile = path.relative(templateDir, templateFile);
  const stackText = withStackName(await readFile(templateFile, 'utf8'), name);

  for (const relative of files) {
    const from = path.join(templateDir, relative);
    const to = path.join(targetDir, relative);
    await mkdir(path.dirname(to), { recursive: true });
    // Read and write rather than copyFile: inside a packed app the template lives in an asar archive.
    const content = relative === stackFile ? stackText : await readFile(from);
    // 'wx': never overwrite a file that appeared since the check.
    await writeFile(to, content, { flag: 'wx', mode: (await stat(from)).mode & 0o777 });
  }
  return path.join(targetDir, stackFile);
}

/** Template files, relative to its folder, that a new stack gets. */
async function templateFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(path.join(dir, prefix), { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    // Dotfiles include .switchyard/ (a running demo's run state) and .env files with someone's secrets.
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const relative = path.join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...(await templateFiles(dir, relative)));
    else if (entry.isFile()) out.push(relative);
  }
  return out;
}

/** The stack file's text with `name:` set, only that value edited so comments and layout survive. */
function withStackName(text: string, name: string): string {
  const broken = () => new SwitchyardError('internal', 'the stack template cannot be given a name: its switchyard.yaml is not a map of settings');
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) throw broken();
  // YAML's own quoting: a name like `123` or `a: b` must stay a string.
  const scalar = stringify(name, { lineWidth: 0 }).trimEnd();
  const pair = doc.contents.items.find((item) => isScalar(item.key) && item.key.value === 'name');
  let edited: string;
  if (pair) {
    const range = isScalar(pair.value) ? pair.value.range : undefined;
    if (!range || range[1] <= range[0]) throw broken();
    edited = text.slice(0, range[0]) + scalar + text.slice(range[1]);
  } else {
    const first = doc.contents.items[0]?.key;
    const at = isScalar(first) && first.range ? first.range[0] : text.length;
    edited = `${text.slice(0, at)}name: ${scalar}\n${text.slice(at)}`;
  }
  const check = parseDocument(edited);
  if (check.errors.length > 0 || check.get('name') !== name) throw broken();
  return edited;
}

/** `My Shop (2)` → `my-shop-2`: a folder's name as a stack name. */
function slug(folder: string): string {
  const out = folder
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out === '' ? 'stack' : out;
}
