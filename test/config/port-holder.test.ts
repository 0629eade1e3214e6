// Naming the program that holds a port: a real listener in a child process, found through /proc.
import { afterEach, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import getPort from 'get-port';
import { loadStack } from '../../main/core/config/load.ts';
import { findPortHolder } from '../../main/core/config/port-holder.ts';
import { makeStackDir, yaml } from './stack-dir.ts';

const LISTENER = "require('node:net').createServer().listen(Number(process.argv[1]), '127.0.0.1', () => console.log('listening'))";

const children: ResultPromise[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGKILL');
    await child.catch(() => {});
  }
});

async function listenElsewhere(port: number): Promise<number> {
  const child = execa(process.execPath, ['-e', LISTENER, String(port)], { buffer: false, reject: false });
  children.push(child);
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return child.pid!;
}

describe.skipIf(process.platform !== 'linux')('findPortHolder', () => {
  it('names the pid and command of the process listening on a port', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const pid = await listenElsewhere(port);
    const holder = await findPortHolder(port);
    expect(holder?.pid).toBe(pid);
    // Shortened past 160 characters, so only its start is certain.
    expect(holder?.command.startsWith(`${process.execPath} -e`)).toBe(true);
  });

  it('finds nobody on a free port', async () => {
    expect(await findPortHolder(await getPort({ host: '127.0.0.1' }))).toBeNull();
  });

  it("names the holder in the stack file's error, and takes a port of the stack's own running instance as no conflict", async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const pid = await listenElsewhere(port);
    const stack = await makeStackDir();
    try {
      const file = await stack.write('switchyard.yaml', yaml('proxy:', `  listen: ${port}`, '  routes: [{ path: /, to: api }]', 'apps:', '  api: { command: node a.js }'));
      const taken = await loadStack(file, { checkCommands: false });
      const holder = await findPortHolder(port);
      expect(holder?.command).toMatch(/ -e /);
      expect(taken.issues.map(({ line, col, message }) => `${line}:${col} ${message}`)).toEqual([
        `2:11 port ${port} on 127.0.0.1 is in use by another program (pid ${pid}, ${holder?.command}); stop it or choose another \`listen\` port`,
      ]);
      const own = await loadStack(file, { checkCommands: false, ownPorts: new Set([port]) });
      expect(own.issues).toEqual([]);
    } finally {
      await stack.remove();
    }
  });
});
