// Loading a stack file: find it, parse it, check every section, and either return the StackSpec or
// every issue found, each pointing at its line and column.
import { existsSync, statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { AppSpec, StackIssue, StackSpec, StaticSiteSpec, TaskSpec } from '../../../shared/stack.ts';
import { definedVariables } from '../env/path-variable.ts';
import { buildApp } from './app-spec.ts';
import { report } from './build-context.ts';
import type { BuildContext } from './build-context.ts';
import { checkDependencies } from './dependencies.ts';
import { nameProblem } from './names.ts';
import { buildProxy } from './proxy-spec.ts';
import { describeValue, topSchema } from './schema.ts';
import { reportSchemaIssues } from './schema-issues.ts';
import { StackSource } from './source.ts';
import { buildStaticSite } from './static-spec.ts';
import { buildTask } from './task-spec.ts';

const FILE_NAMES = ['switchyard.yaml', 'switchyard.yml'];

/** The stack file to use: `explicit` (a file, or a folder holding one) or the one in `cwd`. */
export function findStackFile(cwd: string, explicit?: string): string {
  const start = path.resolve(cwd, explicit ?? '.');
  if (explicit !== undefined && !existsSync(start)) throw new Error(`stack file ${start} does not exist; check the path given to -f`);
  if (explicit !== undefined && !statSync(start).isDirectory()) return start;
  const found = FILE_NAMES.map((name) => path.join(start, name)).find((file) => existsSync(file));
  if (found === undefined) throw new Error(`no ${FILE_NAMES.join(' or ')} in ${start}; create one, or name another file with -f FILE`);
  return found;
}

/** Options of `loadStack`; both checks touch the machine, and both default to on. */
export interface LoadOptions {
  /** Check that the proxy's `listen` port is free. */
  checkPorts?: boolean;
  /** Ports held by this stack's own running instance (its proxy's), which the port check accepts as taken. */
  ownPorts?: ReadonlySet<number>;
  /** Check that each app's program exists on PATH (or at its path). */
  checkCommands?: boolean;
  /** The PATH the stack's processes inherit, where programs are looked for (this process's by default). */
  searchPath?: string;
  /** The environment the stack's processes inherit (this process's by default): commands may name its variables. */
  inheritedEnv?: NodeJS.ProcessEnv;
}

/**
 * The largest stack file read. A real one is a few KiB (the contract's full example is 3 KiB; 200 apps
 * with every setting written out are about 150 KiB), so 1 MiB leaves ample room while bounding what a
 * wrong -f (a log, a dump) or a hostile file can cost: YAML parses a full 1 MiB in about a second.
 */
export const MAX_STACK_FILE_BYTES = 1024 * 1024;

/** Reads and checks a stack file; `spec` is null when any issue is an error. Issues are sorted by position. */
export async function loadStack(file: string, options: LoadOptions = {}): Promise<{ spec: StackSpec | null; issues: StackIssue[] }> {
  const absolute = path.resolve(file);
  const read = await readStackText(absolute);
  if (typeof read !== 'string') {
    return { spec: null, issues: [{ file: absolute, line: 1, col: 1, message: read.problem, severity: 'error' }] };
  }
  const source = new StackSource(absolute, read);
  const ctx: BuildContext = {
    source,
    dir: path.dirname(absolute),
    checkPorts: options.checkPorts ?? true,
    ownPorts: options.ownPorts ?? new Set(),
    checkCommands: options.checkCommands ?? true,
    searchPath: options.searchPath ?? process.env.PATH,
    inheritedEnv: definedVariables(options.inheritedEnv ?? process.env),
    issues: [...source.issues],
    lookups: new Map(),
  };
  const spec = source.fatal ? null : await buildStack(ctx, source.values);
  // Two checks may find the same fault (a number both too large and not exact): it is said once.
  const seen = new Set<string>();
  const issues = ctx.issues
    .sort((a, b) => a.line - b.line || a.col - b.col)
    .filter((issue) => {
      const key = `${issue.line}:${issue.col}:${issue.severity}:${issue.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return { spec: issues.some((issue) => issue.severity === 'error') ? null : spec, issues };
}

/** The file's text, reading no more than one byte past the limit, or why it cannot be used. */
async function readStackText(file: string): Promise<string | { problem: string }> {
  let handle: FileHandle | undefined;
  try {
    // Only a regular file: a FIFO would block the open, and a device like /dev/zero never ends.
    const info = await stat(file);
    if (!info.isFile()) return { problem: `cannot read the stack file: it is not a regular file; name the YAML file itself` };
    handle = await open(file, 'r');
    const buffer = Buffer.alloc(MAX_STACK_FILE_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length);
      length += bytesRead;
      if (bytesRead === 0 || length === buffer.length) break;
    }
    if (length > MAX_STACK_FILE_BYTES) {
      return { problem: `the stack file is larger than ${MAX_STACK_FILE_BYTES / 1024 / 1024} MiB, the most a stack file may be; check that this is the stack file, and move large values into env_file files` };
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : (error as Error).message;
    return { problem: `cannot read the stack file: ${reason}` };
  } finally {
    await handle?.close();
  }
}

async function buildStack(ctx: BuildContext, raw: unknown): Promise<StackSpec | null> {
  if (raw === null || raw === undefined) {
    report(ctx, [], 'the stack file is empty; define at least one app under apps: or one site under static:');
    return null;
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    report(ctx, [], `the stack file must be a map of settings (name, proxy, static, apps); got ${describeValue(raw)}`);
    return null;
  }
  const parsed = topSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) ctx.issues.push(...reportSchemaIssues(ctx.source, [], raw, parsed.error.issues));
  const sections = raw as Record<string, unknown>;
  const staticEntries = entriesOf(sections.static);
  const appEntries = entriesOf(sections.apps);
  const taskEntries = entriesOf(sections.tasks);
  if (staticEntries.length === 0 && appEntries.length === 0 && taskEntries.length === 0) {
    report(ctx, 'apps' in sections ? ['apps'] : [], 'the stack file defines no app and no static site; add one under apps: or static:');
  }
  checkNames(ctx, staticEntries, appEntries, taskEntries);
  checkDependencies(ctx, { apps: appEntries, tasks: taskEntries, statics: staticEntries.map(([name]) => name) });

  const [statics, apps, tasks] = await Promise.all([
    Promise.all(staticEntries.map(([name, value]) => buildStaticSite(ctx, name, value))),
    Promise.all(appEntries.map(([name, value]) => buildApp(ctx, name, value))),
    Promise.all(taskEntries.map(([name, value]) => buildTask(ctx, name, value))),
  ]);
  checkWorkerCount(ctx, apps);
  const targets = { apps: new Map(appEntries.map(([name], i) => [name, apps[i] ?? null])), statics: new Set(staticEntries.map(([name]) => name)) };
  const proxy = sections.proxy === undefined ? null : await buildProxy(ctx, sections.proxy, targets);
  if (!parsed.success) return null;
  return {
    name: parsed.data.name ?? path.basename(ctx.dir),
    file: ctx.source.file,
    dir: ctx.dir,
    proxy,
    statics: statics.filter((site): site is StaticSiteSpec => site !== null),
    apps: apps.filter((app): app is AppSpec => app !== null),
    tasks: tasks.filter((task): task is TaskSpec => task !== null),
  };
}

function entriesOf(section: unknown): [string, unknown][] {
  return section !== null && typeof section === 'object' && !Array.isArray(section) ? Object.entries(section) : [];
}

/**
 * The most worker processes one stack may start. Hundreds are already more than a laptop runs well;
 * a file with thousands of apps (or a typo in replicas across many) must not fork the machine to a halt.
 */
export const MAX_WORKERS = 1000;

function checkWorkerCount(ctx: BuildContext, apps: (AppSpec | null)[]): void {
  const workers = apps.reduce((sum, app) => sum + (app?.replicas ?? 0), 0);
  if (workers <= MAX_WORKERS) return;
  ctx.issues.push(
    ctx.source.issue(['apps'], `the stack would start ${workers} worker processes, more than the ${MAX_WORKERS} one stack may run; lower replicas or split the stack`, 'error', 'key'),
  );
}

function checkNames(ctx: BuildContext, statics: [string, unknown][], apps: [string, unknown][], tasks: [string, unknown][]): void {
  const staticNames = new Set(statics.map(([name]) => name));
  const appNames = new Set(apps.map(([name]) => name));
  for (const [name] of statics) {
    const problem = nameProblem('static site', name);
    if (problem) ctx.issues.push(ctx.source.issue(['static', name], problem, 'error', 'key'));
  }
  for (const [name] of apps) {
    const problem = staticNames.has(name)
      ? `'${name}' names both an app and a static site; routes and commands refer to them by name, so rename one`
      : nameProblem('app', name);
    if (problem) ctx.issues.push(ctx.source.issue(['apps', name], problem, 'error', 'key'));
  }
  for (const [name] of tasks) {
    const other = appNames.has(name) ? 'an app' : staticNames.has(name) ? 'a static site' : null;
    const problem = other ? `'${name}' names both ${other} and a task; depends_on and commands refer to them by name, so rename one` : nameProblem('task', name);
    if (problem) ctx.issues.push(ctx.source.issue(['tasks', name], problem, 'error', 'key'));
  }
}
