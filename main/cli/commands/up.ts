// `switchyard up`: run the stack in the foreground with merged logs; Ctrl-C stops it gracefully,
// a second Ctrl-C kills everything at once.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProxyEngineName, StackSpec } from '../../../shared/stack.ts';
import type { ProcessInfo } from '../../../shared/process.ts';
import type { NginxBinary } from '../../core/proxy/nginx/nginx-binary.ts';
import { setUnexpectedErrorHandler } from '../../core/events.ts';
import { StackHost } from '../../core/host/stack-host.ts';
import type { Stack } from '../../core/stack.ts';
import { CliError, EXIT } from '../cli-error.ts';
import { LogPrinter } from '../log-printer.ts';
import { colorEnabled, paint } from '../output.ts';
import { loadOrExit, requireEngine } from './check.ts';
import { firstWorkerNames } from '../../core/pools/worker-names.ts';

/** The built dashboard (`npm run build`), served by the control server. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../../renderer/dist/', import.meta.url));

/** Options of `up`. */
export interface UpOptions {
  cwd: string;
  file: string | undefined;
  /** Log lines kept per process. */
  retainedLines?: number;
  /** Print proxied requests (the proxy's access lines) too; off by default, they stay in `logs proxy`. */
  access?: boolean;
  /** The proxy engine, instead of the one the stack file names. */
  engine?: ProxyEngineName;
}

export async function up(options: UpOptions): Promise<number> {
  const { spec, file } = await loadOrExit(options.cwd, options.file, process.stderr, { refuseRunning: true });
  const nginx = await requireEngine(spec, options.engine);
  const engine = options.engine ? (await import('../../core/proxy/engines.ts')).engineNamed(options.engine) : undefined;

  const color = colorEnabled(process.stdout);
  const printer = new LogPrinter(
    process.stdout,
    color,
    [
      ...(spec.proxy ? ['proxy'] : []),
      ...spec.statics.map((site) => site.name),
      ...spec.apps.flatMap((app) => firstWorkerNames(app.name, app.replicas)),
    ],
  );

  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let stopRequests = 0;
  let exitCode: number = EXIT.ok;
  let host: StackHost | null = null;
  const requestStop = (why: string, code: number = EXIT.ok) => {
    if (!host) return;
    const running = host;
    stopRequests++;
    if (stopRequests === 1) {
      exitCode = code;
      printer.note(`${why}: stopping gracefully (press Ctrl-C again to kill everything now)`);
      void running.stop().then(() => finish(exitCode));
    } else if (stopRequests === 2) {
      // 128 + SIGINT, as a shell reports a process ended by Ctrl-C.
      exitCode = 130;
      printer.note('killing every process now');
      void running.kill();
    }
  };

  const dashboardBuilt = existsSync(path.join(DASHBOARD_DIR, 'index.html'));
  try {
    host = await StackHost.open({
      file,
      spec,
      onShutdownRequest: () => requestStop('`switchyard down`'),
      ...(options.retainedLines ? { retainedLines: options.retainedLines } : {}),
      ...(engine ? { engine } : {}),
      ...(dashboardBuilt ? { dashboardDir: DASHBOARD_DIR } : {}),
    });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const { stack, server } = host;
  // Without --access the proxied requests are left out; their lines are not even formatted then.
  (options.access ? stack.logs.onLine : stack.logs.onTextLine)((line) => printer.print(line));

  const onSignal = (signal: NodeJS.Signals) => requestStop(signal === 'SIGINT' ? 'Ctrl-C' : signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  const onCrash = (error: unknown) => {
    printer.note(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    requestStop('internal error', EXIT.failure);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  setUnexpectedErrorHandler((error) => printer.note(`a listener failed: ${String(error)}`));

  printBanner(printer, spec, file, server.url, color, options.access === true, nginx);
  printer.note(dashboardBuilt ? `dashboard ${paint(color, 'bold', server.dashboardUrl)}` : 'dashboard not built: run `npm run build` once, then restart `switchyard up`');
  announceReadiness(stack, printer, host.startedAt);
  host.onConfig((outcome) => {
    if (outcome.applied) {
      printer.note(outcome.changes.length > 0 ? `${path.basename(file)} changed: ${outcome.changes.join('; ')}` : `${path.basename(file)} saved with no change to apply`);
    } else printer.note(`${path.basename(file)} changed but was not applied:\n${outcome.message}`);
  });
  await host.start();

  const code = await finished;
  printer.flush();
  await host.close();
  for (const [event, handler] of [
    ['SIGINT', onSignal],
    ['SIGTERM', onSignal],
    ['SIGHUP', onSignal],
    ['uncaughtException', onCrash],
    ['unhandledRejection', onCrash],
  ] as const) {
    process.off(event, handler);
  }
  printer.note(code === EXIT.ok ? 'stopped' : `stopped (exit ${code})`);
  printer.flush();
  return code;
}

function printBanner(printer: LogPrinter, spec: StackSpec, file: string, controlUrl: string, color: boolean, access: boolean, nginx: NginxBinary | null): void {
  const workers = spec.apps.reduce((sum, app) => sum + app.replicas, 0);
  const sites = spec.statics.length;
  printer.note(`stack ${paint(color, 'bold', spec.name)} from ${path.relative(process.cwd(), file) || file}`);
  if (spec.proxy) {
    const { host, port } = spec.proxy.listen;
    const shown = host.includes(':') ? `[${host}]` : host;
    const engine = nginx ? `, nginx ${nginx.version}` : '';
    printer.note(`proxy    ${paint(color, 'bold', `http://${shown === '0.0.0.0' ? '127.0.0.1' : shown}:${port}`)}  (${spec.proxy.routes.length} route${spec.proxy.routes.length === 1 ? '' : 's'}${engine})`);
  }
  printer.note(`control  ${controlUrl}  (token in .switchyard/run.json)`);
  if (spec.proxy && !access) printer.note('requests through the proxy are not printed here: `switchyard logs proxy -f` shows them, or run `up --access`');
  printer.note(
    `starting ${workers} worker${workers === 1 ? '' : 's'} in ${spec.apps.length} app${spec.apps.length === 1 ? '' : 's'}` +
      `${sites > 0 ? `, ${sites} static site${sites === 1 ? '' : 's'}` : ''}${spec.proxy ? ' and the proxy' : ''}; watching ${path.basename(file)} for changes`,
  );
}

/** Says once when every worker has become ready, with how long it took. */
function announceReadiness(stack: Stack, printer: LogPrinter, startedAt: number): void {
  const subscription = stack.onProcessChange(() => {
    const processes = stack.processes();
    // A task is done once it ran to completion (a migration before the apps): it is never `ready`.
    const tasks = processes.filter((p) => p.kind === 'task');
    const serving = processes.filter((p) => p.kind !== 'task');
    if (serving.length === 0 || !serving.every((p) => p.state === 'ready') || !tasks.every(completed)) return;
    subscription.dispose();
    const ports = serving.filter((p) => p.port !== null).map((p) => `${p.name}:${p.port}`);
    const done = tasks.length === 0 ? '' : `, ${tasks.length} task${tasks.length === 1 ? '' : 's'} done`;
    printer.note(`all ${serving.length} ready in ${Date.now() - startedAt} ms${done}${ports.length ? ` (${ports.join(' ')})` : ''}`);
  });
}

function completed(task: ProcessInfo): boolean {
  return task.state === 'exited' && task.lastExit?.code === 0;
}
