// The classic shape: Debian's `gunicorn -w 3` (sync workers, a Flask app) behind a reverse proxy.
// The same gunicorn master is loaded directly, through the Switchyard proxy and through nginx (the
// way it is run in front of gunicorn), in one run, so the ratio compares the proxies alone.

import { Stack } from '../main/core/stack.ts';
import { runLoad, loadTool, type LoadOptions, type LoadResult } from './lib/load.ts';
import { freePort, LOOPBACK } from './lib/net.ts';
import { findNginx, proxySite, startNginx } from './lib/nginx.ts';
import { appStack, gunicornApp, missingServer } from './lib/python-apps.ts';
import { startStack, stopStack } from './lib/stack.ts';
import { isMain, runAlone } from './lib/standalone.ts';
import type { ChildServer } from './lib/child.ts';
import { count, median, ms, printTable, type BenchResult, type Goal, type ReadmeRow } from './stats.ts';

const WORKERS = 3;
/** More clients than workers, as a site has: gunicorn's backlog holds the rest. */
const LOAD: LoadOptions = { connections: 12, seconds: 3, warmup: 1 };
const ROUNDS = 2;
const READY_DEADLINE_MS = 30_000;
/** With the Python app the slow part, a proxy should cost little: Switchyard within this of nginx. */
const NGINX_GOAL = 0.8;

const DIRECT = `direct to gunicorn -w ${WORKERS}`;
const SWITCHYARD = 'Switchyard proxy';
const NGINX = 'nginx (1 worker, keepalive 32)';

/** Runs the comparison; usable alone (`node bench/gunicorn-proxy.ts`) or from `bench/run.ts`. */
export async function benchGunicornProxy(): Promise<BenchResult> {
  const label = 'gunicorn req/s, Switchyard ÷ nginx';
  const missing = missingServer('gunicorn');
  if (missing) return { name: 'gunicorn behind a proxy', goals: [{ label, met: null, detail: `skipped: ${missing}` }] };
  const nginx = findNginx();
  if (!nginx) return { name: 'gunicorn behind a proxy', goals: [{ label, met: null, detail: 'skipped: nginx is not installed' }] };

  const stack = new Stack(appStack(gunicornApp('shop', WORKERS), await freePort()));
  const runs = new Map<string, LoadResult[]>();
  let server: ChildServer | null = null;
  try {
    await startStack(stack, READY_DEADLINE_MS);
    const worker = stack.processes().find((p) => p.kind === 'worker' && p.port !== null);
    if (!worker?.port) throw new Error('gunicorn is ready but has no port');
    server = await startNginx(nginx, proxySite(worker.port));
    const variants = [
      { label: DIRECT, port: worker.port },
      { label: SWITCHYARD, port: stack.spec.proxy?.listen.port ?? 0 },
      { label: NGINX, port: server.port },
    ];
    for (let round = 0; round < ROUNDS; round++) {
      // Every other round runs backwards, so no variant always follows the same neighbour.
      for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
        const result = await runLoad(`http://${LOOPBACK}:${variant.port}/`, { ...LOAD, warmup: round === 0 ? LOAD.warmup : 0 });
        runs.set(variant.label, [...(runs.get(variant.label) ?? []), result]);
      }
    }
  } finally {
    await server?.stop();
    await stopStack(stack);
  }

  const rps = (name: string) => median((runs.get(name) ?? []).map((run) => run.rps));
  const rows = [DIRECT, SWITCHYARD, NGINX].map((name) => {
    const list = runs.get(name) ?? [];
    const values = list.map((run) => run.rps);
    return [
      name,
      rps(name).toFixed(0),
      `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`,
      ms(median(list.map((run) => run.p50))),
      ms(median(list.map((run) => run.p99))),
      `${(rps(name) / rps(NGINX)).toFixed(2)}x`,
      String(list.reduce((sum, run) => sum + run.errors + run.non2xx, 0)),
    ];
  });
  printTable(
    `gunicorn -w ${WORKERS} (sync, Flask, Debian's) behind a proxy: GET / → JSON, ${LOAD.connections} connections (requests/s, latency in ms)`,
    [{ title: '' }, { title: 'req/s' }, { title: 'range' }, { title: 'p50' }, { title: 'p99' }, { title: '÷ nginx' }, { title: 'errors' }],
    rows,
    [
      `${loadTool(LOAD).description} (before a variant's first round only); ${ROUNDS} rounds in alternating order, median shown (range: min–max)`,
      'every variant is in front of the same gunicorn master, the Stack\'s own worker; sync workers close each connection after its answer',
    ].join('\n'),
  );
  const factor = rps(SWITCHYARD) / rps(NGINX);
  const goals: Goal[] = [{ label, met: factor >= NGINX_GOAL, detail: `${rps(SWITCHYARD).toFixed(0)} vs ${rps(NGINX).toFixed(0)} req/s = ${factor.toFixed(2)}x (goal ≥ ${NGINX_GOAL})` }];
  const errors = (runs.get(SWITCHYARD) ?? []).reduce((sum, run) => sum + run.errors + run.non2xx, 0);
  if (errors > 0) goals.push({ label: 'gunicorn errors through Switchyard', met: false, detail: `${errors} socket errors or non-2xx responses` });
  const p99 = (name: string) => ms(median((runs.get(name) ?? []).map((run) => run.p99)));
  const readme: ReadmeRow = {
    benchmark: `Debian's \`gunicorn -w ${WORKERS}\` (sync, Flask) behind a proxy, ${loadTool(LOAD).tool} -c${LOAD.connections} (direct: ${count(rps(DIRECT))} req/s)`,
    anchor: `nginx: ${count(rps(NGINX))} req/s, p99 ${p99(NGINX)} ms`,
    switchyard: `${count(rps(SWITCHYARD))} req/s, p99 ${p99(SWITCHYARD)} ms`,
    ratio: `${factor.toFixed(2)}x nginx (goal ${NGINX_GOAL}x, ${factor >= NGINX_GOAL ? 'met' : 'not met'})`,
  };
  return { name: 'gunicorn behind a proxy', goals, readme: [readme] };
}

if (isMain(import.meta.url)) await runAlone(benchGunicornProxy);
