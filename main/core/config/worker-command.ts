// An app's command as its first worker will run it: what `check` prints and what the stack file's
// check expands to find variables nobody defines. It uses the same environment a worker starts with.
import type { AppSpec } from '../../../shared/stack.ts';
import { processEnvironment } from '../process/process-spec.ts';
import { expandVariables, type Expansion } from './command-variables.ts';

/** What `check` shows for a port: ports are found free when each worker starts, so none is known before. */
export const PORT_PLACEHOLDER = '<port>';

/** The environment worker 1 of `app` starts with, its port shown as PORT_PLACEHOLDER. */
export function firstWorkerEnvironment(app: Pick<AppSpec, 'name' | 'env' | 'portEnv'>, inherited: Readonly<Record<string, string>>): Record<string, string> {
  const env = processEnvironment({ env: { ...inherited, ...app.env }, portEnv: app.portEnv, app: app.name, worker: 1 }, null, '<run>');
  if (app.portEnv !== null) env[app.portEnv] = PORT_PLACEHOLDER;
  return env;
}

/** Each argument of `argv` expanded for worker 1 of `app`, with what could not be. */
export function expandFirstWorkerCommand(argv: readonly string[], app: Pick<AppSpec, 'name' | 'env' | 'portEnv'>, inherited: Readonly<Record<string, string>>): Expansion[] {
  const env = firstWorkerEnvironment(app, inherited);
  return argv.map((argument) => expandVariables(argument, (name) => env[name]));
}

// Characters that keep an argument readable as one word; anything else (a space, a quote) gets quotes.
const PLAIN = /^[\w@%+=:,./<>-]+$/;

/**
 * An argv as one line, as it runs: each argument as it is, quoted only when a space or a quote would
 * otherwise hide where it ends (`main:app` and `127.0.0.1:8000` stay as they are).
 */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((argument) => (PLAIN.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`)).join(' ');
}
