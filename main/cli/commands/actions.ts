// `restart`, `reload`, `scale` and `down`: name an action, the running instance carries it out.

import { isAlive } from '../../core/process/process-tree.ts';
import { CliError, EXIT } from '../cli-error.ts';
import { connect } from '../instance.ts';

type Where = { cwd: string; file: string | undefined };

export async function restart(options: Where & { target: string }): Promise<number> {
  const { client } = connect(options.cwd, options.file);
  const names = await client.restart(options.target);
  process.stdout.write(`restarted ${names.join(', ')}\n`);
  return EXIT.ok;
}

export async function reload(options: Where & { target: string }): Promise<number> {
  const { client } = connect(options.cwd, options.file);
  const started = Date.now();
  const names = await client.reload(options.target);
  process.stdout.write(`reloaded ${names.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  return EXIT.ok;
}

export async function scale(options: Where & { app: string; replicas: string }): Promise<number> {
  const replicas = Number(options.replicas);
  if (!/^\d+$/.test(options.replicas) || replicas > 256) {
    throw new CliError(`scale takes a whole number of workers from 0 to 256, got '${options.replicas}'`, EXIT.usage);
  }
  const { client } = connect(options.cwd, options.file);
  const names = await client.scale(options.app, replicas);
  process.stdout.write(`${options.app}: ${names.length} worker${names.length === 1 ? '' : 's'}${names.length ? ` (${names.join(', ')})` : ''}\n`);
  return EXIT.ok;
}

/** Asks the instance to stop and waits until its process has exited. */
export async function down(options: Where & { timeout: number }): Promise<number> {
  const { client, pid } = connect(options.cwd, options.file);
  await client.shutdown();
  const deadline = Date.now() + options.timeout;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new CliError(`the stack (pid ${pid}) is still stopping after ${options.timeout / 1000}s; it goes on in the background`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  process.stdout.write('stopped\n');
  return EXIT.ok;
}
