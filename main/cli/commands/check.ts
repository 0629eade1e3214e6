// `switchyard check`: validate the stack file and print the plan; exit 2 when invalid.

import type { ProxyEngineName, StackSpec } from '../../../shared/stack.ts';
import { findStackFile, loadStack } from '../../core/config/load.ts';
import { formatIssues, formatPlan } from '../../core/config/plan.ts';
import { readRunFile, runFilePath } from '../../core/host/run-file.ts';
import type { NginxBinary } from '../../core/proxy/nginx/nginx-binary.ts';
import { CliError, EXIT } from '../cli-error.ts';

/**
 * Loads the stack file or throws a CliError (exit 2) carrying every issue; warnings go to `err`.
 * With `refuseRunning`, a stack file another instance runs is refused first (exit 1), before its
 * ports look taken.
 */
export async function loadOrExit(
  cwd: string,
  file: string | undefined,
  err: NodeJS.WritableStream,
  options: { refuseRunning?: boolean; ownPorts?: ReadonlySet<number>; checkPorts?: boolean; checkCommands?: boolean } = {},
): Promise<{ spec: StackSpec; file: string }> {
  const stackFile = locateStackFile(cwd, file);
  if (options.refuseRunning) {
    const { refuseIfRunning } = await import('../../core/host/running-instance.ts');
    try {
      await refuseIfRunning(stackFile);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  }
  const { refuseRunning: _refuse, ...loadOptions } = options;
  const { spec, issues } = await loadStack(stackFile, loadOptions);
  if (!spec) throw new CliError(`${formatIssues(issues, cwd)}\n${stackFile} is not valid; fix the errors above`, EXIT.usage);
  if (issues.length > 0) err.write(`${formatIssues(issues, cwd)}\n`);
  return { spec, file: stackFile };
}

/**
 * The nginx a stack needs, when its proxy runs on nginx (the stack file's `proxy.engine`, or
 * `engine` from --engine); null for the builtin engine. Throws a CliError (exit 2) naming the
 * install command when nginx is missing or too old, before anything is started.
 */
export async function requireEngine(spec: StackSpec, engine: ProxyEngineName | undefined): Promise<NginxBinary | null> {
  if (spec.proxy === null || (engine ?? spec.proxy.engine ?? 'builtin') !== 'nginx') return null;
  const { findNginx } = await import('../../core/proxy/nginx/nginx-binary.ts');
  const found = await findNginx(process.env);
  if (!found.ok) throw new CliError(`the proxy runs on nginx, but ${found.problem}`, EXIT.usage);
  return found.nginx;
}

export async function check(options: { cwd: string; file: string | undefined; engine?: ProxyEngineName }): Promise<number> {
  const running = await runningStack(locateStackFile(options.cwd, options.file));
  const ownPorts = new Set(running?.proxyPort ? [running.proxyPort] : []);
  const { spec } = await loadOrExit(options.cwd, options.file, process.stderr, { ownPorts });
  const nginx = await requireEngine(spec, options.engine);
  const engine = nginx ? `nginx ${nginx.version} (${nginx.path})` : options.engine;
  process.stdout.write(`${formatPlan(spec, process.env, engine)}\n`);
  if (running) process.stdout.write(`\n${describeRunning(running)}\n`);
  return EXIT.ok;
}

/** The stack file `file` names (or the one in `cwd`), or a CliError (exit 2) saying why there is none. */
function locateStackFile(cwd: string, file: string | undefined): string {
  try {
    return findStackFile(cwd, file);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
}

/** This stack's own instance, running now, and the port its proxy holds. */
interface RunningStack {
  pid: number;
  startedAt: number;
  proxyPort: number | null;
}

// The instance answers on its control port, so its word on which port its proxy holds is exact on any OS.
async function runningStack(stackFile: string): Promise<RunningStack | null> {
  const runFile = runFilePath(stackFile);
  // Most checks run with no stack up: telling a live instance from a stale run file takes the
  // process-tree code and its dependencies, loaded only when there is a run file to judge.
  if (!readRunFile(runFile)) return null;
  const [{ findRunningInstance }, { ControlClient }] = await Promise.all([import('../../core/host/running-instance.ts'), import('../../core/control/control-client.ts')]);
  const run = await findRunningInstance(runFile);
  if (!run) return null;
  const processes = await new ControlClient(run).listProcesses().catch(() => []);
  const proxy = processes.find((p) => p.kind === 'proxy');
  return { pid: run.pid, startedAt: run.startedAt, proxyPort: proxy?.port ?? null };
}

function describeRunning(running: RunningStack): string {
  const since = new Date(running.startedAt).toLocaleTimeString();
  const port = running.proxyPort === null ? '' : `; its proxy holds port ${running.proxyPort}, so that port is taken by this stack itself`;
  return `Running now: \`switchyard up\` pid ${running.pid}, since ${since}${port}`;
}
