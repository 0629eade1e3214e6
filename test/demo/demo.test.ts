// The demo is what a newcomer runs first (`npm start`): it must load, come up healthy and behave,
// through its proxy, the way the page in examples/demo/web uses it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import { loadStack } from '../../main/core/config/load.ts';
import { Stack } from '../../main/core/stack.ts';
import { waitFor } from '../helpers/wait.ts';

const demoFile = fileURLToPath(new URL('../../examples/demo/switchyard.yaml', import.meta.url));
let stack: Stack;
let base: string;

const apiWorkers = () => stack.processes().filter((p) => p.app === 'api');

beforeAll(async () => {
  const { spec, issues } = await loadStack(demoFile, { checkPorts: false });
  expect(issues).toEqual([]);
  if (!spec?.proxy) throw new Error('the demo must have a proxy');
  // Port 8080 is not ours to take in a test run: the same stack on a free port.
  const port = await getPort({ host: '127.0.0.1' });
  stack = new Stack({ ...spec, proxy: { ...spec.proxy, listen: { host: '127.0.0.1', port } } });
  base = `http://127.0.0.1:${port}`;
  await stack.start();
  await waitFor(() => stack.processes().every((p) => p.state === 'ready'), 'the whole demo ready');
  await waitFor(async () => (await fetch(`${base}/api/whoami`)).ok, 'the proxy to route to the api');
});

afterAll(() => stack?.stop());

describe('the demo stack', () => {
  it('runs the proxy, the static site and four api workers', () => {
    expect(stack.processes().map((p) => `${p.kind} ${p.name}`)).toEqual(['proxy proxy', 'static web', 'worker api-1', 'worker api-2', 'worker api-3', 'worker api-4']);
  });

  it('serves the page and spreads /api/ over the four workers, each knowing who it is', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toMatch(/<html/i);
    // Each worker joins the proxy's rotation once it is ready there: ask until all four have answered.
    const answers: { app: string; worker: number; pid: number }[] = [];
    await waitFor(async () => {
      answers.push((await (await fetch(`${base}/api/whoami`)).json()) as { app: string; worker: number; pid: number });
      return new Set(answers.map((body) => body.worker)).size === 4;
    }, 'answers from all four workers');
    expect([...new Set(answers.map((body) => body.worker))].sort()).toEqual([1, 2, 3, 4]);
    for (const body of answers) {
      expect(body.app).toBe('api');
      expect(apiWorkers().find((p) => p.worker === body.worker)?.pid).toBe(body.pid);
    }
  });

  it('echoes a POST body and streams server-sent events through the proxy', async () => {
    const echo = await fetch(`${base}/api/echo`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(await echo.text()).toBe('hello');
    const controller = new AbortController();
    const events = await fetch(`${base}/api/events`, { signal: controller.signal });
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = events.body!.getReader();
    let received = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      received += new TextDecoder().decode(value);
      return /event: tick\ndata: .*"worker":\d/.test(received);
    }, 'a tick event');
    controller.abort();
  });

  it('restarts a worker that crashes on purpose, and the proxy keeps answering', async () => {
    const before = new Map(apiWorkers().map((p) => [p.name, p.pid]));
    const response = await fetch(`${base}/api/crash`);
    expect(response.status).toBe(200);
    await waitFor(() => apiWorkers().some((p) => p.restarts === 1 && p.state === 'ready' && p.pid !== before.get(p.name)), 'the crashed worker to be back');
    const crashed = apiWorkers().find((p) => p.restarts === 1);
    expect(crashed?.lastExit?.code).toBe(1);
    for (let i = 0; i < 8; i++) expect((await fetch(`${base}/api/whoami`)).status).toBe(200);
  });
});
