// `apps.NAME`: a supervised program, after its paths, env files and program are checked.
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { parseEnv } from 'node:util';
import type { AppSpec } from '../../../shared/stack.ts';
import { lookupOnce, pathKind, report } from './build-context.ts';
import type { BuildContext } from './build-context.ts';
import { resolveProgram } from './command.ts';
import { formatDuration } from './duration.ts';
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
    return null;
  }
  const app = parsed.data;
  const before = ctx.issues.length;
  const cwd = path.resolve(ctx.dir, app.cwd ?? '.');
  const cwdKind = await lookupOnce(ctx, `kind ${cwd}`, () => pathKind(cwd));
  if (cwdKind !== 'directory') {
    const problem = cwdKind === 'missing' ? 'does not exist' : 'is not a folder';
    report(ctx, [...at, 'cwd'], `cwd '${app.cwd ?? '.'}' of app '${name}' ${problem} (looked for ${cwd}); create it or fix the path`);
  } else if (app.cwd !== undefined) await warnIfOutsideStack(ctx, name, app.cwd, cwd);
  const inline = inlineEnv(ctx, at, app.env);
  const env = { ...(await readEnvFiles(ctx, name, app.env_file)), ...inline };
  checkExecStrings(ctx, name, app.command, env, inline);

  if (app.health.path !== null && app.port_env === null) {
    report(ctx, [...at, 'health', 'path'], `health.path needs a port, but app '${name}' has port_env: none; remove health.path or set port_env`);
  }
  if (app.backoff.max < app.backoff.initial) {
    const { initial, max } = app.backoff;
    report(ctx, [...at, 'backoff', 'max'], `backoff.max (${formatDuration(max)}) must be at least backoff.initial (${formatDuration(initial)}) (app '${name}')`);
  }
  if (app.max_requests_jitter > 0 && app.max_requests === 0) {
    report(ctx, [...at, 'max_requests_jitter'], `max_requests_jitter does nothing without max_requests (app '${name}'); set max_requests, like 1000, or remove max_requests_jitter`, 'warning');
  }
  if (ctx.checkCommands && cwdKind === 'directory') await checkProgram(ctx, name, app.command, cwd, env);

  if (ctx.issues.slice(before).some((issue) => issue.severity === 'error')) return null;
  return {
    name,
    argv: app.command,
    cwd,
    replicas: app.replicas,
    portEnv: app.port_env,
    env,
    health: {
      path: app.health.path,
      interval: app.health.interval,
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
    maxRequests: app.max_requests,
    maxRequestsJitter: app.max_requests_jitter,
  };
}

// Linux refuses to start a program given one argument or one KEY=VALUE longer than this (MAX_ARG_STRLEN).
const MAX_EXEC_STRING_BYTES = 128 * 1024;

function checkExecStrings(ctx: BuildContext, name: string, argv: string[], env: Record<string, string>, inline: Record<string, string>): void {
  if (process.platform !== 'linux') return;
  const why = `Linux passes at most ${MAX_EXEC_STRING_BYTES / 1024} KiB in one argument or variable, so the worker could not start; put the data in a file and pass its path`;
  const bytes = (text: string) => Buffer.byteLength(text) + 1;
  const commandAsText = ctx.source.scalarText(['apps', name, 'command']) !== undefined;
  for (const [i, argument] of argv.entries()) {
    if (bytes(argument) <= MAX_EXEC_STRING_BYTES) continue;
    report(ctx, ['apps', name, 'command', ...(commandAsText ? [] : [i])], `argument ${i + 1} of the command of app '${name}' is ${bytes(argument) - 1} bytes long; ${why}`);
  }
  for (const [key, value] of Object.entries(env)) {
    const length = bytes(`${key}=${value}`);
    if (length <= MAX_EXEC_STRING_BYTES) continue;
    report(ctx, ['apps', name, ...(key in inline ? ['env', key] : ['env_file'])], `variable ${key} of app '${name}' is ${length - 1} bytes long with its name; ${why}`);
  }
}

// A stack is meant to run wherever its folder is cloned; a cwd elsewhere ties it to what this machine
// happens to hold. Symlinks are followed, so a link inside the folder that leads out counts as outside.
async function warnIfOutsideStack(ctx: BuildContext, name: string, written: string, cwd: string): Promise<void> {
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
    ['apps', name, 'cwd'],
    `cwd '${written}' of app '${name}' is outside the stack's folder (it is ${target}), so the stack works only where that folder exists; move the app inside ${dir}, or leave it if this machine is the only one that runs the stack`,
    'warning',
  );
}

// Later files override earlier ones, as `docker compose` does with several env_file entries.
async function readEnvFiles(ctx: BuildContext, name: string, files: string[]): Promise<Record<string, string>> {
  const written = ctx.source.scalarText(['apps', name, 'env_file']) !== undefined;
  const env: Record<string, string> = {};
  for (const [i, file] of files.entries()) {
    const at: YamlPath = written ? ['apps', name, 'env_file'] : ['apps', name, 'env_file', i];
    const absolute = path.resolve(ctx.dir, file);
    let text: string;
    try {
      text = await readFile(absolute, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const problem = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code})`;
      report(ctx, at, `env_file '${file}' of app '${name}' ${problem} (looked for ${absolute}); create it or remove it from env_file`);
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

async function checkProgram(ctx: BuildContext, name: string, argv: string[], cwd: string, env: Record<string, string>): Promise<void> {
  const program = argv[0] ?? '';
  const searchPath = pathVariable(env) ?? ctx.searchPath;
  const resolved = await lookupOnce(ctx, `program ${program}\0${cwd}\0${searchPath}`, () => resolveProgram(program, cwd, searchPath));
  if (resolved !== null) return;
  const message = /[\\/]/.test(program)
    ? `command '${program}' not found or not executable in ${cwd} (app '${name}'); fix the path or make it executable`
    : `command '${program}' not found on PATH (app '${name}'); install it or fix the name`;
  report(ctx, ['apps', name, 'command'], message);
}
