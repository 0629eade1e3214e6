// The command line: parse, dispatch, and turn failures into one clear message and an exit code.
// Each command is imported when it runs, so `ps` does not pay for loading what `up` needs.

import type { ParseArgsConfig } from 'node:util';
import { SwitchyardError } from '../core/errors.ts';
import type { ProxyEngineName } from '../../shared/stack.ts';
import { CliError, EXIT } from './cli-error.ts';

// Not an ES import: that reads every export of node:util, and its lazy ones load a dozen more of
// Node's modules (worker_threads among them), a few ms of every command's start.
const { parseArgs } = process.getBuiltinModule('node:util');

const USAGE = `Usage: switchyard <command> [options]

  up [-f FILE] [--access] [--engine builtin|nginx]
                            run the stack in the foreground; Ctrl-C stops it gracefully;
                            --access also prints each proxied request; --engine overrides
                            the stack file's proxy.engine
  app [-f FILE]             open the desktop app on the stack (headless, as up, where it cannot start)
  check [-f FILE] [--engine builtin|nginx]
                            validate the stack file and print the plan; exit 2 when invalid
  ps [--json]               the processes of the running stack
  logs [NAME] [-f] [-n N]   recent log lines (all, one app or one worker); -f follows
  restart NAME              restart a worker (api-2), an app (api), proxy, a static site or all;
                            run a task (migrate) again
  reload APP                replace an app's workers one by one with no failed request
  scale APP N               change the number of an app's workers while running
  down                      stop the running stack gracefully
  export nginx|compose|k8s [-o DIR]
                            write the stack as an nginx.conf, a compose.yaml or Kubernetes manifests
                            (default DIR: deploy/<target>/ beside the stack file); export --help for more

Commands other than up and check find the running stack through .switchyard/run.json beside the
stack file (switchyard.yaml in the current folder, or --file FILE).`;

const fileOption = { file: { type: 'string', short: 'f' } } as const;
const engineOption = { engine: { type: 'string' } } as const;

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Runs the CLI with `argv` (without node and script); resolves to the exit code. `prebuiltDir` holds
 * the bundled check command (prebuilt.ts), dist/cli/ unless a test builds one elsewhere.
 */
export async function main(argv: string[], cwd = process.cwd(), prebuiltDir?: string): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'up': {
        const { values } = parse(rest, { ...fileOption, ...engineOption, 'log-lines': { type: 'string' }, access: { type: 'boolean' } }, 0);
        const retained = values['log-lines'] === undefined ? undefined : positiveInt(String(values['log-lines']), '--log-lines');
        const engine = engineName(values.engine);
        const { up } = await import('./commands/up.ts');
        return await up({ cwd, file: str(values.file), access: values.access === true, ...(retained ? { retainedLines: retained } : {}), ...(engine ? { engine } : {}) });
      }
      case 'app': {
        const { values } = parse(rest, fileOption, 0);
        const { openApp } = await import('./commands/app.ts');
        return await openApp({ cwd, file: str(values.file) });
      }
      case 'check': {
        const { values } = parse(rest, { ...fileOption, ...engineOption }, 0);
        const engine = engineName(values.engine);
        const { importCheck } = await import('./prebuilt.ts');
        const { check } = await importCheck(prebuiltDir);
        return await check({ cwd, file: str(values.file), ...(engine ? { engine } : {}) });
      }
      case 'ps': {
        const { values } = parse(rest, { ...fileOption, json: { type: 'boolean' } }, 0);
        const { ps } = await import('./commands/ps.ts');
        return await ps({ cwd, file: str(values.file), json: values.json === true });
      }
      case 'logs': {
        // Here -f is --follow, as in `docker logs -f` and `tail -f`; the stack file is --file.
        const { values, positionals } = parse(
          rest,
          { follow: { type: 'boolean', short: 'f' }, tail: { type: 'string', short: 'n' }, file: { type: 'string' } },
          0,
          1,
          'logs [NAME] [-f] [-n N]',
        );
        const tail = values.tail === undefined ? 200 : positiveInt(String(values.tail), '--tail');
        const { logs } = await import('./commands/logs.ts');
        return await logs({ cwd, file: str(values.file), name: positionals[0], follow: values.follow === true, tail });
      }
      case 'restart': {
        const { values, positionals } = parse(rest, fileOption, 1, 1, 'restart NAME');
        const { restart } = await import('./commands/actions.ts');
        return await restart({ cwd, file: str(values.file), target: positionals[0] as string });
      }
      case 'scale': {
        const { values, positionals } = parse(rest, fileOption, 2, 2, 'scale APP N');
        const { scale } = await import('./commands/actions.ts');
        return await scale({ cwd, file: str(values.file), app: positionals[0] as string, replicas: positionals[1] as string });
      }
      case 'down': {
        const { values } = parse(rest, { ...fileOption, timeout: { type: 'string' } }, 0);
        const seconds = values.timeout === undefined ? 60 : positiveInt(String(values.timeout), '--timeout');
        const { down } = await import('./commands/actions.ts');
        return await down({ cwd, file: str(values.file), timeout: seconds * 1000 });
      }
      case 'reload': {
        const { values, positionals } = parse(rest, fileOption, 1, 1, 'reload APP');
        const { reload } = await import('./commands/actions.ts');
        return await reload({ cwd, file: str(values.file), target: positionals[0] as string });
      }
      case 'export': {
        const { values, positionals } = parse(
          rest,
          {
            ...fileOption,
            out: { type: 'string', short: 'o' },
            listen: { type: 'string' },
            upstream: { type: 'string', multiple: true },
            'static-dir': { type: 'string' },
            help: { type: 'boolean', short: 'h' },
          },
          0,
          1,
          'export nginx|compose|k8s [-f FILE] [-o DIR]',
        );
        const { EXPORT_USAGE, exportStack } = await import('./commands/export.ts');
        if (values.help === true) {
          process.stdout.write(`${EXPORT_USAGE}\n`);
          return EXIT.ok;
        }
        if (positionals[0] === undefined) throw new CliError(`export needs a target: nginx, compose or k8s\n\n${EXPORT_USAGE}`, EXIT.usage);
        return await exportStack({
          cwd,
          file: str(values.file),
          target: positionals[0],
          out: str(values.out),
          listen: str(values.listen),
          upstreams: values.upstream ?? [],
          staticDir: str(values['static-dir']),
        });
      }
      case undefined:
      case 'help':
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new CliError(`unknown command '${command}'\n\n${USAGE}`, EXIT.usage);
    }
  } catch (error) {
    return report(error);
  }
}

function report(error: unknown): number {
  if (error instanceof CliError || error instanceof SwitchyardError) {
    process.stderr.write(`switchyard: ${error.message}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failure;
  }
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') {
    process.stderr.write('switchyard: the running stack does not answer on its control port; it may be stopping\n');
    return EXIT.failure;
  }
  process.stderr.write(`switchyard: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.failure;
}

function parse<O extends Options>(args: string[], options: O, minPositionals: number, maxPositionals = minPositionals, usage?: string) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${USAGE}`, EXIT.usage);
  }
  const count = parsed.positionals.length;
  const max = Math.max(minPositionals, maxPositionals);
  if (count < minPositionals || count > max) {
    const unexpected = count > max ? `unexpected argument '${parsed.positionals[max]}'` : '';
    throw new CliError([unexpected, usage ? `usage: switchyard ${usage}` : ''].filter(Boolean).join('; '), EXIT.usage);
  }
  return parsed;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function positiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new CliError(`${flag} takes a whole number of 1 or more, got '${text}'`, EXIT.usage);
  return Number(text);
}

/** The engine `--engine` names, or undefined when not given. */
function engineName(value: unknown): ProxyEngineName | undefined {
  if (value === undefined) return undefined;
  if (value === 'builtin' || value === 'nginx') return value;
  throw new CliError(`--engine takes builtin or nginx, got '${String(value)}'`, EXIT.usage);
}
