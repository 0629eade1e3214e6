// examples/python, run as its README says (`switchyard up -f examples/python/switchyard.yaml`), on a
// copy with a free port: the migration runs first, the FastAPI and Flask apps answer through the
// proxy, gunicorn's forked workers show under their master, a reload by SIGHUP keeps the master,
// and `down` leaves nothing running. Skipped, saying what to install, where Debian's servers are missing.

import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { psJsonOnceUp, runCli, startUp, type UpProcess } from '../helpers/cli.ts';
import { describeProcesses, newMarker, killMarked, processesWithMarker } from '../helpers/processes.ts';
import { waitFor } from '../helpers/wait.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/python/', import.meta.url));
const missing = ['fastapi', 'uvicorn', 'gunicorn', 'flask'].filter((module) => spawnSync('/usr/bin/python3', ['-c', `import ${module}`], { stdio: 'ignore' }).status !== 0);

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('examples/python', () => {
  it.skipIf(missing.length > 0)(`runs the migration, then FastAPI on uvicorn and Flask under gunicorn behind the proxy${missing.length > 0 ? `: skipped, /usr/bin/python3 lacks ${missing.join(', ')} (apt-get install python3-fastapi python3-uvicorn gunicorn python3-flask)` : ''}`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-python-example-'));
    cpSync(EXAMPLE, dir, { recursive: true });
    const port = await getPort({ host: '127.0.0.1' });
    const file = path.join(dir, 'switchyard.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('listen: 8090', `listen: ${port}`));
    const marker = newMarker();
    const up: UpProcess = startUp(dir, [], { [marker.key]: marker.value });
    cleanups.push(async () => {
      up.child.kill('SIGKILL');
      await up.child;
      killMarked(marker);
      rmSync(dir, { recursive: true, force: true });
    });

    const processes = await waitFor(
      async () => {
        const listed = await psJsonOnceUp(dir);
        const serving = listed.filter((p) => p.kind !== 'task');
        return serving.length === 6 && serving.every((p) => p.state === 'ready') ? listed : undefined;
      },
      'the proxy, the site, three catalog workers and orders-1 ready',
      { timeout: 60_000 },
    );
    const migrate = processes.find((p) => p.name === 'migrate')!;
    expect(migrate).toMatchObject({ kind: 'task', state: 'exited' });
    // The apps waited for the migration: each started after it had ended.
    for (const app of processes.filter((p) => p.kind === 'worker')) expect(app.startedAt).toBeGreaterThanOrEqual(migrate.lastExit!.at);
    const orders = processes.find((p) => p.name === 'orders-1')!;
    // A process's children are listed from the metrics round, every 10 s while nobody watches.
    await waitFor(async () => (await psJsonOnceUp(dir)).find((p) => p.name === 'orders-1')?.children.length === 3, "gunicorn's three workers under orders-1", { timeout: 30_000 });

    const base = `http://127.0.0.1:${port}`;
    const products = (await (await fetch(`${base}/api/products`)).json()) as { products: { id: string }[] };
    expect(products.products.map((product) => product.id)).toEqual(['kettle', 'mug', 'teapot']);
    const placed = await fetch(`${base}/orders/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ product: 'mug' }) });
    expect(placed.status).toBe(201);
    expect((await fetch(`${base}/`)).status).toBe(200);

    const reload = await runCli(['reload', 'orders'], dir);
    expect(reload.exitCode, `${String(reload.stderr)}\n${up.output()}`).toBe(0);
    const after = (await psJsonOnceUp(dir)).find((p) => p.name === 'orders-1')!;
    // SIGHUP: gunicorn's master stays and forks new workers.
    expect(after.pid).toBe(orders.pid);
    expect((await fetch(`${base}/orders/`)).status).toBe(200);

    const down = await runCli(['down'], dir);
    expect(down.exitCode, String(down.stderr)).toBe(0);
    expect((await up.child).exitCode).toBe(0);
    let left: number[] = [];
    await waitFor(() => (left = processesWithMarker(marker)).length === 0, 'nothing left after down').catch((error: Error) => {
      throw new Error(`${error.message}: ${describeProcesses(left).join('; ')}`);
    });
  }, 120_000);
});
