// The demo is what a newcomer runs first (`npm start`): it must load, come up healthy and behave.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadStack } from '../../main/core/config/load.ts';
import { Stack } from '../../main/core/stack.ts';
import type { ProcessInfo } from '../../shared/process.ts';
import { waitFor } from '../helpers/wait.ts';

const demoFile = fileURLToPath(new URL('../../examples/demo/switchyard.yaml', import.meta.url));
let stack: Stack;

const url = (p: ProcessInfo, path: string) => `http://127.0.0.1:${p.port}${path}`;
const workers = () => stack.processes();

beforeAll(async () => {
  // The proxy's port is not ours to take in a test run; everything else is checked.
  const { spec, issues } = await loadStack(demoFile, { checkPorts: false });
  expect(issues).toEqual([]);
  stack = new Stack(spec!);
  await stack.start();
  await waitFor(() => workers().every((p) => p.state === 'ready'), 'all demo workers ready');
});

afterAll(() => stack?.stop());

describe('the demo stack', () => {
  it('runs four api workers that each know who they are', async () => {
    expect(workers().map((p) => p.name)).toEqual(['api-1', 'api-2', 'api-3', 'api-4']);
    for (const p of workers()) {
      const body = (await (await fetch(url(p, '/api/whoami'))).json()) as { app: string; worker: number; pid: number };
      expect(body).toMatchObject({ app: 'api', worker: p.worker, pid: p.pid });
    }
  });

  it('echoes a POST body and streams server-sent events', async () => {
    const [first] = workers();
    const echo = await fetch(url(first!, '/api/echo'), { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(await echo.text()).toBe('hello');
    const controller = new AbortController();
    const events = await fetch(url(first!, '/api/events'), { signal: controller.signal });
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = events.body!.getReader();
    let received = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      received += new TextDecoder().decode(value);
      return /event: tick\ndata: .*"worker":1/.test(received);
    }, 'a tick event from worker 1', { timeout: 3000 });
    controller.abort();
  });

  it('restarts a worker that crashes on purpose', async () => {
    const victim = workers()[1]!;
    const response = await fetch(url(victim, '/api/crash'));
    expect(response.status).toBe(200);
    await waitFor(() => {
      const now = stack.processes().find((p) => p.name === victim.name)!;
      return now.state === 'ready' && now.pid !== victim.pid;
    }, 'the crashed worker to be back');
    const now = stack.processes().find((p) => p.name === victim.name)!;
    expect(now.restarts).toBe(1);
    expect(now.lastExit?.code).toBe(1);
  });
});
