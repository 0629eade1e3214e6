// `apps.NAME`: a supervised program, after its paths, env files and program are checked (tasks share
// the program part, `buildProgram`).
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parseEnv } from 'node:util';
import type { AppSpec, Dependency } from '../../../shared/stack.ts';
import { lookupOnce, pathKind, report } from './build-context.ts';
import type { BuildContext } from './build-context.ts';
import { describeMissingProgram, resolveProgram } from './command.ts';
import { formatDuration } from './duration.ts';
import type { z } from 'zod';
import { closestMatch } from 'leven';
import { expandFirstWorkerCommand, firstWorkerEnvironment } from './worker-command.ts';
import { buildContainerImage } from './container-image.ts';
import { appSchema } from './schema.ts';
import type { AppInput } from './schema.ts';
import { reportSchemaIssues } from './schema-issues.ts';
import type { YamlPath } from './source.ts';
import { pathVariable } from '../env/path-variable.ts';

/** The app `name`, or null after reporting why it is invalid. */
export async function buildApp(ctx: BuildContext, name: string, raw: unknown): Promise<AppSpec | null> {
  const at = ['apps', name];
  const parsed = appSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    ctx.issues.push(...reportSchemaIssues(ctx.source, at, raw, parsed.error.issues));
    // The other fields are still checked, so that a wrong `replicas` does not hide a missing `cwd`.
    const salvaged = salvage(raw, parsed.error.issues);
    if (salvaged) await Promise.all([checkApp(ctx, name, salvaged.app, salvaged.commandValid), buildContainerImage(ctx, at, `app '${name}'`, salvaged.app)]);
    return null;
  }
  const app = parsed.data;
  const before = ctx.issues.length;
  const program = await checkApp(ctx, name, app, true);
  const container = await buildContainerImage(ctx, at, `app '${name}'`, app);
  if (program === null || ctx.issues.slice(before).some((issue) => issue.severity === 'error')) return null;
  return {
    name,
    ...program,
    ...(container ? { container } : {}),
    replicas: app.replicas,
    portEnv: app.port_env,
    health: {
      path: app.health.path,
      interval: app.health.interval,
      startInterval: app.health.start_interval,
      timeout: app.health.timeout,
      healthyAfter: app.health.healthy_after,
      unhealthyAfter: app.health.unhealthy_after,
      restartAfter: app.health.restart_after,
    },
    balance: app.balance,
    restart: app.restart,
    backoff: app.backoff,
    maxRestarts: app.max_restarts,
    minUptime: app.min_uptime,
    stop: app.stop,
    watch: app.watch,
    dependsOn: dependencies(app.depends_on),
    reload: app.reload ?? null,
    maxRequests: app.max_requests,
    maxRequestsJitter: app.max_requests_jitter,
  };
}

/** Checks what the schema cannot: the program, and settings that only make sense together. */
async function checkApp(ctx: BuildContext, name: string, app: AppInput, commandValid: boolean): Promise<Program | null> {
  const at = ['apps', name];
  const program = await buildProgram(ctx, at, `app '${name}'`, app, { commandValid, name, portEnv: app.port_env });
  if (app.health.path !== null && app.port_env === null) {
    report(ctx, [...at, 'health', 'path'], `health.path needs a port, but app '${name}' has port_env: none; remove health.path or set port_env`);
  }
  if (app.reload && app.health.path === null && app.port_env !== null) {
    const why = "a master's socket accepts connections before its new workers are up, so each worker's reload would count as done at once";
    report(ctx, [...at, 'reload'], `reload.signal with a TCP health check (app '${name}'): ${why}; set health.path to a path the app answers`, 'warning');
  }
  if (app.backoff.max < app.backoff.initial) {
    const { initial, max } = app.backoff;
    report(ctx, [...at, 'backoff', 'max'], `backoff.max (${formatDuration(max)}) must be at least backoff.initial (${formatDuration(initial)}) (app '${name}')`);
  }
  if (app.max_requests_jitter > 0 && app.max_requests === 0) {
    report(ctx, [...at, 'max_requests_jitter'], `max_requests_jitter does nothing without max_requests (app '${name}'); set max_requests, like 1000, or remove max_requests_jitter`, 'warning');
  }
  return program;
}

/** What an app or a task runs, at `at` (`['tasks', 'migrate']`), named in messages as `what` (`task 'migrate'`). */
export type ProgramInput = Pick<AppInput, 'command' | 'cwd' | 'env' | 'env_file'>;

/** How the command is expanded: the app or task's name and its port variable (none for a task). */
export interface ProgramShape {
  name: string;
  portEnv: string | null;
  /** False when the schema refused the command: the rest is still checked, the command is not. */
  commandValid?: boolean;
}

/** What an app or a task runs: its command, folder, environment and the env files that environment was read from. */
export type Program = Pick<AppSpec, 'argv' | 'cwd' | 'env' | 'envFiles'>;

/** The command, folder and environment of an app or task, or null after reporting why they are invalid. */
export async function buildProgram(ctx: BuildContext, at: YamlPath, what: string, input: ProgramInput, shape: ProgramShape): Promise<Program | null> {
  const before = ctx.issues.length;
  const cwd = path.resolve(ctx.dir, input.cwd ?? '.');
  const cwdKind = await lookupOnce(ctx, `kind ${cwd}`, () => pathKind(cwd));
  if (cwdKind !== 'directory') {
    const problem = cwdKind === 'missing' ? 'does not exist' : 'is not a folder';
    report(ctx, [...at, 'cwd'], `cwd '${input.cwd ?? '.'}' of ${what} ${problem} (looked for ${cwd}); create it or fix the path`);
  } else if (input.cwd !== undefined) await warnIfOutsideStack(ctx, at, what, input.cwd, cwd);
  const inline = inlineEnv(ctx, at, input.env);
  const env = { ...(await readEnvFiles(ctx, at, what, input.env_file)), ...inline };
  if (shape.commandValid === false) return null;
  checkExecStrings(ctx, at, what, input.command, env, inline);
  const argv = checkVariables(ctx, at, what, input.command, { name: shape.name, env, portEnv: shape.portEnv });
  if (ctx.checkCommands && cwdKind === 'directory' && argv !== null) await checkProgram(ctx, at, what, argv, cwd, env);
  if (ctx.issues.slice(before).some((issue) => issue.severity === 'error')) return null;
  const envFiles = input.env_file.map((file) => path.resolve(ctx.dir, file));
  return { argv: input.command, cwd, env, ...(envFiles.length > 0 ? { envFiles } : {}) };
}

/** `depends_on` as the model holds it, in the order written. */
export function dependencies(written: AppInput['depends_on']): Dependency[] {
  return Object.entries(written).map(([on, condition]) => ({ on, condition }));
}

/**
 * The app's settings with each field the schema refused left out (so at its default), or null when
 * the app is not a map at all. A refused command is replaced, and `commandValid` says so.
 */
function salvage(raw: unknown, issues: readonly z.core.$ZodIssue[]): { app: AppInput; commandValid: boolean } | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const refused = new Set<PropertyKey>();
  for (const issue of issues) {
    const [field] = issue.path;
    if (field !== undefined) refused.add(field);
    else if (issue.code === 'unrecognized_keys') for (const key of issue.keys) refused.add(key);
  }
  const kept: Record<string, unknown> = Object.fromEntries(Object.entries(raw).filter(([key]) => !refused.has(key)));
  const commandValid = !refused.has('command');
  if (!commandValid) kept.command = ['refused'];
  const again = appSchema.safeParse(kept);
  return again.success ? { app: again.data, commandValid } : null;
}

/**
 * Worker 1's argv with its variables expanded, after reporting each variable that nobody defines (at
 * its line and column); null when there was one, since the program cannot be looked for then.
 */
function checkVariables(ctx: BuildContext, at: YamlPath, what: string, argv: string[], app: Pick<AppSpec, 'name' | 'env' | 'portEnv'>): string[] | null {
  const commandAsText = ctx.source.scalarText([...at, 'command']) !== undefined;
  const expansions = expandFirstWorkerCommand(argv, app, ctx.inheritedEnv);
  let defined: string[] | null = null;
  let valid = true;
  for (const [i, { problems }] of expansions.entries()) {
    for (const problem of problems) {
      valid = false;
      const where = [...at, 'command', ...(commandAsText ? [] : [i])];
      defined ??= Object.keys(firstWorkerEnvironment(app, ctx.inheritedEnv));
      const like = problem.undefinedName === undefined ? undefined : closestMatch(problem.undefinedName, defined, { maxDistance: Math.max(1, Math.floor(problem.undefinedName.length / 3)) });
      const didYouMean = like ? `; did you mean $${like}?` : '';
      ctx.issues.push(ctx.source.issueWithin(where, argv[i] ?? '', problem.offset, `${problem.message} (command of ${what})${didYouMean}`));
    }
  }
  return valid ? expansions.map((expansion) => expansion.text) : null;
}

// Linux refuses to start a program given one argument or one KEY=VALUE longer than this (MAX_ARG_STRLEN).
const MAX_EXEC_STRING_BYTES = 128 * 1024;

function checkExecStrings(ctx: BuildContext, at: YamlPath, what: string, argv: string[], env: Record<string, string>, inline: Record<string, string>): void {
  if (process.platform !== 'linux') return;
  const why = `Linux passes at most ${MAX_EXEC_STRING_BYTES / 1024} KiB in one argument or variable, so the worker could not start; put the data in a file and pass its path`;
  const bytes = (text: string) => Buffer.byteLength(text) + 1;
  const commandAsText = ctx.source.scalarText([...at, 'command']) !== undefined;
  for (const [i, argument] of argv.entries()) {
    if (bytes(argument) <= MAX_EXEC_STRING_BYTES) continue;
    report(ctx, [...at, 'command', ...(commandAsText ? [] : [i])], `argument ${i + 1} of the command of ${what} is ${bytes(argument) - 1} bytes long; ${why}`);
  }
  for (const [key, value] of Object.entries(env)) {
    const length = bytes(`${key}=${value}`);
    if (length <= MAX_EXEC_STRING_BYTES) continue;
    report(ctx, [...at, ...(key in inline ? ['env', key] : ['env_file'])], `variable ${key} of ${what} is ${length - 1} bytes long with its name; ${why}`);
  }
}

// A stack is meant to run wherever its folder is cloned; a cwd elsewhere ties it to what this machine
// happens to hold. Symlinks are followed, so a link inside the folder that leads out counts as outside.
async function warnIfOutsideStack(ctx: BuildContext, at: YamlPath, what: string, written: string, cwd: string): Promise<void> {
  let dir: string;
  let target: string;
  try {
    [dir, target] = await Promise.all([realpath(ctx.dir), realpath(cwd)]);
  } catch {
    return; // gone since it was found: the worker's start will say so
  }
  const relative = path.relative(dir, target);
  if (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative)) return;
  report(
    ctx,
    [...at, 'cwd'],
    `cwd '${written}' of ${what} is outside the stack's folder (it is ${target}), so the stack works only where that folder exists; move the app inside ${dir}, or leave it if this machine is the only one that runs the stack`,
    'warning',
  );
}

// Later files override earlier ones, as `docker compose` does with several env_file entries.
async function readEnvFiles(ctx: BuildContext, owner: YamlPath, what: string, files: string[]): Promise<Record<string, string>> {
  const written = ctx.source.scalarText([...owner, 'env_file']) !== undefined;
  const env: Record<string, string> = {};
  for (const [i, file] of files.entries()) {
    const at: YamlPath = written ? [...owner, 'env_file'] : [...owner, 'env_file', i];
    const absolute = path.resolve(ctx.dir, file);
    let text: string;
    try {
      text = await readFile(absolute, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const problem = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code})`;
      report(ctx, at, `env_file '${file}' of ${what} ${problem} (looked for ${absolute}); create it or remove it from env_file`);
      continue;
    }
    Object.assign(env, parseEnv(text));
  }
  return env;
}

// A number keeps the text it was written as: `VERSION: 1.10` must not become "1.1".
function inlineEnv(ctx: BuildContext, at: YamlPath, values: AppInput['env']): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    env[key] = typeof value === 'number' ? (ctx.source.scalarText([...at, 'env', key]) ?? String(value)) : String(value);
  }
  return env;
}

async function checkProgram(ctx: BuildContext, at: YamlPath, what: string, argv: string[], cwd: string, env: Record<string, string>): Promise<void> {
  const program = argv[0] ?? '';
  const searchPath = pathVariable(env) ?? ctx.searchPath;
  const resolved = await lookupOnce(ctx, `program ${program}\0${cwd}\0${searchPath}`, () => resolveProgram(program, cwd, searchPath));
  if (resolved !== null) return;
  report(ctx, [...at, 'command'], await describeMissingProgram(program, { cwd, stackDir: ctx.dir, PATH: searchPath, what }));
}
