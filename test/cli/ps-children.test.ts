// `switchyard ps` shows a pre-fork master's children under its row (and `ps --json` lists them),
// and a worker listening beyond loopback with the fix named.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, psJson, stackDir, startUp } from '../helpers/cli.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const GUNICORN = '/usr/bin/gunicorn';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('switchyard ps and a pre-fork master', () => {
  it.skipIf(!existsSync(GUNICORN))('lists a Node cluster\'s workers under it and warns of gunicorn on 0.0.0.0', { timeout: 90_000 }, async () => {
    const yaml = [
      'name: forktest',
      'apps:',
      '  cluster:',
      `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(FIXTURES, 'fork-cluster.js'))}]`,
      '    health: { path: /, interval: 200ms, timeout: 5s }',
      '    stop: { timeout: 5s }',
      '  web:',
      `    command: [${GUNICORN}, -w, "2", fork_print_app:app]`,
      `    cwd: ${JSON.stringify(path.join(FIXTURES, 'python'))}`,
      '    health: { path: /, interval: 200ms, timeout: 5s }',
      '    stop: { timeout: 5s }',
      '',
    ].join('\n');
    const { dir, cleanup } = stackDir(yaml);
    const up = startUp(dir);
    cleanups.push(cleanup, async () => {
      await runCli(['down'], dir);
      await up.child;
    });
    await up.waitForOutput('all 2 ready', 60_000);

    const processes = await waitFor(async () => {
      const found = await psJson(dir);
      const cluster = found.find((p) => p.name === 'cluster-1');
      const web = found.find((p) => p.name === 'web-1');
      return cluster?.children.length === 3 && web?.children.length === 2 && web.warnings.length === 1 ? found : undefined;
    }, 'ps --json to list 3 cluster workers, 2 gunicorn workers and a warning', { timeout: 30_000 });
    const cluster = processes.find((p) => p.name === 'cluster-1')!;
    for (const child of cluster.children) expect(child).toMatchObject({ ppid: cluster.pid, cpu: expect.any(Number), memory: expect.any(Number), startedAt: expect.any(Number) });

    const table = String((await runCli(['ps'], dir)).stdout);
    for (const child of cluster.children) expect(table).toMatch(new RegExp(`^  └ child +${child.pid} +\\S+ +\\d+\\.\\d% +[\\d.]+ \\S+ +.*fork-cluster\\.js`, 'm'));
    const web = processes.find((p) => p.name === 'web-1')!;
    expect(table).toContain(`warning: web-1 is listening on 0.0.0.0:${web.port}, which other machines can reach`);
    expect(table).toContain('gunicorn -b 127.0.0.1:$PORT');
  });
});
