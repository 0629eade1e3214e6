// The dashboard in a real browser against a real `switchyard up`: headless Chromium (Debian's, driven
// by playwright-core) opens the address `up` prints and works the page the way a person does. One
// stack and one browser serve the whole file, so the tests run in order: each waits for the state
// it needs, and the last one stops the stack.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import type { Browser, Page } from 'playwright-core';
import type { ProcessInfo } from '../../shared/process.ts';
import { CHROMIUM_MISSING, findChromium, launchChromium } from '../../bench/lib/browser.ts';
import { runCli, stackDir, startUp, type UpProcess } from '../helpers/cli.ts';
import { alive } from '../helpers/processes.ts';
import { dashboardBuildProblem } from '../helpers/dashboard-build.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/e2e/', import.meta.url));
/** Every wait on the page is bounded by this; a reload or a crash recovery takes a few seconds. */
const WAIT_MS = 15_000;
const WORKERS = ['api-1', 'api-2', 'api-3'];
const PROCESSES = ['proxy', 'web', ...WORKERS];
// Longer than any reload (the test stops it by hand once the reload is over), and short enough
// that all its requests fit in the page's list of the last 5,000.
const LOAD = { rate: 100, seconds: 45 };
/** A test that waits for several steps of up to WAIT_MS each on a busy machine. */
const MANY_STEPS_MS = 90_000;

const chromiumPath = findChromium();
if (chromiumPath === null) console.warn(`test/e2e/dashboard.test.ts skipped: ${CHROMIUM_MISSING}`);

/** The fixture stack: the proxy sends /api/ to three http-worker replicas and everything else to a static site. */
function stackYaml(proxyPort: number): string {
  const worker = JSON.stringify(path.join(FIXTURES, 'http-worker.js'));
  return [
    'name: e2e',
    'proxy:',
    `  listen: ${proxyPort}`,
    '  routes:',
    '    - { path: /api/, to: api }',
    '    - { path: /, to: web }',
    'static:',
    '  web: { root: ./site }',
    'apps:',
    '  api:',
    `    command: [${JSON.stringify(process.execPath)}, ${worker}]`,
    '    replicas: 3',
    '    restart: always',
    '    health: { path: /healthz, interval: 200ms, timeout: 2s }',
    // A second of backoff keeps a killed worker's crash on screen long enough to see.
    '    backoff: { initial: 1s, max: 2s }',
    '    stop: { timeout: 2s }',
    '',
  ].join('\n');
}

/** A page on another origin that tries the control socket and API with the real token, and writes what happened. */
function foreignPage(controlPort: number, token: string): string {
  return `<!doctype html><title>elsewhere</title>
<p>socket: <output id="ws"></output></p>
<p>call: <output id="call"></output></p>
<script>
  const report = (id, text) => { document.getElementById(id).textContent = text; };
  const socket = new WebSocket('ws://127.0.0.1:${controlPort}/v1/ws', ['switchyard.v1', 'token.${token}']);
  socket.onopen = () => report('ws', 'open');
  socket.onclose = (event) => { if (document.getElementById('ws').textContent !== 'open') report('ws', 'closed ' + event.code); };
  fetch('http://127.0.0.1:${controlPort}/v1/call', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer ${token}' },
    body: JSON.stringify({ method: 'status', args: [] }),
  }).then((response) => report('call', 'answered ' + response.status), (error) => report('call', 'failed ' + error.name));
</script>`;
}

/** The same attempt from the dashboard's own page, where it must succeed: proof that the foreign page fails for its origin alone. */
function ownSocketAttempt(controlPort: number, token: string): string {
  return `new Promise((resolve) => {
    const socket = new WebSocket('ws://127.0.0.1:${controlPort}/v1/ws', ['switchyard.v1', 'token.${token}']);
    socket.onopen = () => { socket.close(1000); resolve('open'); };
    socket.onclose = (event) => resolve('closed ' + event.code);
  })`;
}

/** Records every state the page shows for one process, so a state shown for a moment is not missed. */
function watchStates(name: string): string {
  return `(() => {
    const seen = [];
    const read = () => {
      const state = document.querySelector('[data-testid="state-${name}"]')?.getAttribute('data-state') ?? 'absent';
      if (seen[seen.length - 1] !== state) seen.push(state);
    };
    read();
    new MutationObserver(read).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    window.__seenStates = seen;
  })()`;
}

/** Page-side: the crash of process `name` as shown this instant, or null while it is not shown. */
function crashOnScreen(name: string): string {
  return `(() => {
    const read = (id) => document.querySelector('[data-testid="' + id + '"]');
    const state = read('state-${name}')?.getAttribute('data-state');
    if (state !== 'crashed' && state !== 'backoff') return null;
    return { state, pid: read('pid-${name}')?.textContent, reason: read('reason-${name}')?.textContent, trouble: read('nav-trouble')?.textContent };
  })()`;
}

describe.skipIf(chromiumPath === null)('the dashboard in a browser', () => {
  let stack: { dir: string; cleanup: () => void } | null = null;
  let up: UpProcess | null = null;
  let upExited = false;
  let browser: Browser | null = null;
  let launching: Promise<Browser> | null = null;
  let foreign: http.Server | null = null;
  let page!: Page;
  let proxyPort = 0;
  let controlPort = 0;
  let token = '';
  let dashboardUrl = '';
  /** Requests the load test of test 5 sent; test 6 finds them in the list. */
  let loadSent = 0;
  const pageErrors: string[] = [];

  const proxy = (pathAndQuery: string) => `http://127.0.0.1:${proxyPort}${pathAndQuery}`;
  const shot = (name: string, on: Page = page) => on.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  const text = async (testId: string) => ((await page.getByTestId(testId).textContent({ timeout: WAIT_MS })) ?? '').trim();
  const count = async (testId: string) => Number((await text(testId)).replace(/[^\d]/g, ''));
  const pidOnPage = async (name: string) => {
    const shown = await text(`pid-${name}`);
    return /^\d+$/.test(shown) ? Number(shown) : null;
  };
  const show = async (view: 'overview' | 'logs' | 'requests' | 'load') => {
    await page.getByTestId(`nav-${view}`).click();
    await page.getByTestId(`view-${view}`).waitFor({ timeout: WAIT_MS });
  };
  /** Every process ready with its health check passing, as the Overview shows it. */
  const allReady = async () => {
    for (const name of PROCESSES) {
      await page.locator(`[data-testid="state-${name}"][data-state="ready"]`).waitFor({ timeout: WAIT_MS });
      await page.locator(`[data-testid="health-${name}"][data-health="passing"]`).waitFor({ timeout: WAIT_MS });
    }
  };
  const ps = async (): Promise<ProcessInfo[]> => {
    const result = await runCli(['ps', '--json'], (stack as { dir: string }).dir);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    return JSON.parse(String(result.stdout)) as ProcessInfo[];
  };
  const unique = (label: string) => `${label}-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    proxyPort = await getPort({ host: '127.0.0.1' });
    stack = stackDir(stackYaml(proxyPort));
    mkdirSync(path.join(stack.dir, 'site'));
    writeFileSync(path.join(stack.dir, 'site', 'index.html'), '<!doctype html><title>e2e site</title><h1>the static site</h1>\n');
    up = startUp(stack.dir);
    void up.child.then(() => (upExited = true));
    // The browser starts while the stack does; kept at once, so afterAll closes it whatever fails next.
    launching = launchChromium(chromiumPath).then((launched) => (browser = launched));
    await up.waitForOutput(/dashboard (http:\/\/127\.0\.0\.1:\d+\/#token=\S+|not built)/);
    const problem = dashboardBuildProblem();
    if (problem) throw new Error(problem);
    const printed = /dashboard (http:\/\/127\.0\.0\.1:(\d+)\/#token=(\S+))/.exec(up.output()) as RegExpExecArray;
    dashboardUrl = printed[1] as string;
    controlPort = Number(printed[2]);
    token = printed[3] as string;
    await launching;
    const context = await (browser as Browser).newContext({ viewport: { width: 1440, height: 900 } });
    context.setDefaultTimeout(WAIT_MS);
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(dashboardUrl);
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && browser) {
      const name = `${task.name.split(':')[0]?.replace(/\W+/g, '-')}-failure`;
      await shot(name).catch(() => undefined);
    }
    expect(pageErrors.splice(0), 'uncaught errors in the page').toEqual([]);
  });

  afterAll(async () => {
    await launching?.catch(() => undefined);
    await browser?.close().catch(() => undefined);
    foreign?.close();
    foreign?.closeAllConnections();
    if (up && !upExited) {
      up.child.kill('SIGINT');
      const stopped = await Promise.race([up.child.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000).unref())]);
      if (!stopped) up.child.kill('SIGKILL');
      await up.child;
    }
    stack?.cleanup();
  });

  it('1: shows every process ready and healthy, and the topology from client to workers', async () => {
    await allReady();
    expect(await text('ready-api')).toBe('3/3 ready');
    expect(await text('stack-name')).toBe('e2e');
    expect(await text('proxy-url')).toBe(`http://127.0.0.1:${proxyPort}`);
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor();
    for (const ref of ['client', 'proxy', '/api/', '/', 'api', 'web', ...WORKERS]) {
      await page.getByTestId(`topology-node-${ref}`).waitFor();
    }
    for (const ref of ['proxy', 'api', 'web', ...WORKERS]) {
      await page.locator(`[data-testid="topology-node-${ref}"][data-tone="good"]`).waitFor();
    }
    for (const name of ['proxy', ...WORKERS]) expect(await page.getByTestId(`topology-node-${name}`).getAttribute('data-state')).toBe('ready');
    await shot('1-all-ready');
  });

  it('2: "Restart api-2" gives api-2 a new pid without asking', async () => {
    await allReady();
    const before = (await pidOnPage('api-2')) as number;
    expect(before).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Restart api-2', exact: true }).click();
    const after = await waitFor(async () => {
      const pid = await pidOnPage('api-2');
      return pid !== null && pid !== before && (await page.getByTestId('state-api-2').getAttribute('data-state')) === 'ready' ? pid : null;
    }, 'a new pid for api-2 on the page', { timeout: WAIT_MS, interval: 50 });
    await shot('2-restarted-api-2');
    expect(await page.getByTestId('confirm-dialog').count()).toBe(0);
    const listed = (await ps()).find((process) => process.name === 'api-2');
    expect(listed?.pid).toBe(after);
    expect(alive(before)).toBe(false);
  });

  it('3: a line a worker prints shows in the Logs view; the regex search finds it and stderr-only hides it', async () => {
    const said = unique('e2e-hello');
    const answer = await fetch(proxy(`/api/say?text=${said}`));
    expect(await answer.text()).toBe('said');
    await show('logs');
    await page.locator('[data-testid="log-line"][data-source^="api-"][data-stream="stdout"]').filter({ hasText: said }).waitFor({ timeout: WAIT_MS });

    // Anchored, so that a line merely naming the text (a request's path, say) does not match.
    await page.getByTestId('log-search').fill(`^${said}$`);
    await waitFor(async () => /^1 of [\d,]+ lines$/.test(await text('log-count')), 'the search to leave one line', { timeout: WAIT_MS });
    expect(await page.getByTestId('log-line').count()).toBe(1);
    expect(await page.getByTestId('log-line').first().getAttribute('data-source')).toMatch(/^api-[123]$/);
    await shot('3-logs-search');

    await page.getByTestId('log-stderr-only').check();
    await page.getByTestId('logs-no-match').waitFor();
    expect(await page.getByTestId('log-line').count()).toBe(0);
    expect(await text('log-count')).toMatch(/^0 of [\d,]+ lines$/);
    await shot('3-logs-stderr-only');

    await page.getByTestId('log-stderr-only').uncheck();
    await page.getByTestId('log-search').fill('');
    await waitFor(async () => !(await text('log-count')).includes(' of '), 'the filter to clear', { timeout: WAIT_MS });
    await show('overview');
  });

  it('4: a killed worker shows its crash, then comes back ready with a new pid', async () => {
    await allReady();
    const before = (await pidOnPage('api-1')) as number;
    const restarts = await count('restarts-api-1');
    await page.evaluate(watchStates('api-1'));
    await page.getByRole('button', { name: 'Kill api-1', exact: true }).click();
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.getByRole('heading').textContent()).toBe('Kill api-1?');
    await shot('4-kill-confirm');
    const confirm = dialog.getByTestId('confirm-action');
    expect(await confirm.textContent()).toBe('Kill api-1');
    await confirm.click();
    await dialog.waitFor({ state: 'detached' });

    // The crash on screen, read in one go while it lasts (a second of backoff): out of its state,
    // no pid, a reason, and counted as in trouble in the nav.
    // Polled from here: the page's CSP forbids eval, which waitForFunction's polling needs.
    const crash = await waitFor(() => page.evaluate(crashOnScreen('api-1')) as Promise<Record<string, string | undefined> | null>, 'the crash of api-1 on screen', {
      timeout: WAIT_MS,
      interval: 20,
    });
    await shot('4-api-1-crashed');
    expect(['crashed', 'backoff']).toContain(crash.state);
    expect(crash.pid).toBe('—');
    expect(crash.reason).toMatch(/restarting in|SIGKILL|crash/i);
    expect(crash.trouble).toBe('1');

    await page.locator('[data-testid="state-api-1"][data-state="ready"]').waitFor();
    const after = (await pidOnPage('api-1')) as number;
    expect(after).not.toBe(before);
    expect(await count('restarts-api-1')).toBe(restarts + 1);
    expect(await page.getByTestId('nav-trouble').count()).toBe(0);
    const seen = (await page.evaluate('window.__seenStates')) as string[];
    expect(seen[0]).toBe('ready');
    expect(seen.some((state) => state === 'crashed' || state === 'backoff'), seen.join(' → ')).toBe(true);
    expect(seen[seen.length - 1]).toBe('ready');
    expect((await ps()).find((process) => process.name === 'api-1')?.pid).toBe(after);
    await shot('4-api-1-recovered');

    // The merged log says how it ended.
    await show('logs');
    await page.getByTestId('log-search').fill('crashed: .*SIGKILL');
    await page.locator('[data-testid="log-line"][data-source="api-1"][data-stream="system"]').first().waitFor();
    await page.getByTestId('log-search').fill('');
    await show('overview');
  });

  it('5: a rolling reload during a load test fails no request', { timeout: MANY_STEPS_MS }, async () => {
    await allReady();
    const oldPids = (await ps()).filter((process) => process.app === 'api').map((process) => process.pid);
    await show('load');
    await page.getByTestId('load-rate').fill(String(LOAD.rate));
    await page.getByTestId('load-path').fill('/api/x');
    await page.getByTestId('load-duration').fill(String(LOAD.seconds));
    await page.getByTestId('load-start').click();
    await page.locator('[data-testid="load-progress"][data-state="running"]').waitFor();
    await waitFor(async () => (await count('load-sent')) > 0, 'the first requests of the load test', { timeout: WAIT_MS });

    await show('overview');
    await page.getByRole('button', { name: 'Reload api', exact: true }).click();
    const outcome = page.locator('[data-testid="toast-info"], [data-testid="toast-error"]').filter({ hasText: /Reload(ed)? api/ });
    await outcome.first().waitFor();
    expect(await outcome.first().textContent()).toMatch(/^Reloaded api: api-1, api-2, api-3/);
    await shot('5-reloaded-under-load');

    // The load test ran through the whole reload: running before it began, and stopped by hand (not
    // done) only once it had ended, so every request of the reload counts.
    await show('load');
    await page.getByTestId('load-stop').click();
    await page.locator('[data-testid="load-progress"][data-state="stopped"]').waitFor();
    await shot('5-load-stopped');
    const sent = await count('load-sent');
    loadSent = sent;
    expect(await count('load-failed')).toBe(0);
    expect(sent).toBeGreaterThan(0);
    expect(await count('load-ok')).toBe(sent);
    expect(await page.getByTestId('load-status-error').count()).toBe(0);
    expect(await page.getByTestId('load-status-5xx').count()).toBe(0);

    const api = (await ps()).filter((process) => process.app === 'api');
    expect(api.map((process) => process.name).sort()).toEqual(WORKERS);
    for (const process of api) {
      expect(process.state).toBe('ready');
      expect(oldPids).not.toContain(process.pid);
    }
    await show('overview');
  });

  // During a rolling reload the old and the new worker share a name; the page must end up showing
  // the new one, not the old one's last state ("stopped").
  it('5b: the Overview shows the reloaded workers ready without a page reload', async () => {
    const listed = (await ps()).filter((process) => process.app === 'api');
    for (const process of listed) {
      await page.locator(`[data-testid="state-${process.name}"][data-state="ready"]`).waitFor({ timeout: WAIT_MS });
      expect(await pidOnPage(process.name)).toBe(process.pid);
    }
  });

  it('5c: after a page reload the Overview shows the reloaded workers with their new pids', async () => {
    await page.reload();
    await allReady();
    for (const process of await ps()) expect(await pidOnPage(process.name), process.name).toBe(process.pid);
    await shot('5c-after-page-reload');
  });

  it('6: the Requests view lists access events, and a selected one shows its worker\'s log lines', async () => {
    const said = unique('e2e-request');
    const answer = await fetch(proxy(`/api/say?text=${said}`));
    expect(answer.status).toBe(200);
    const requestId = answer.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    await show('requests');
    // The load test's requests are listed too.
    await waitFor(async () => (await count('request-count')) >= loadSent, 'the load test in the request list', { timeout: WAIT_MS });
    await page.getByTestId('request-filter').fill(said);
    const row = page.getByTestId('request-row');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.getAttribute('data-request-id')).toBe(requestId);
    expect(await row.getAttribute('data-status')).toBe('200');
    await row.click();
    const detail = page.getByTestId('request-detail');
    await detail.waitFor();
    expect(await detail.textContent()).toContain(requestId);
    await detail.getByTestId('request-log-line').filter({ hasText: said }).waitFor();
    await shot('6-request-detail');
    await detail.getByRole('button', { name: 'Close request details' }).click();
    await detail.waitFor({ state: 'detached' });
    await page.getByTestId('request-filter').fill('');
    await show('overview');
  });

  it('6b: the Diagnostics view (key 7) shows the PATH the stack runs with and where the api command resolves', async () => {
    await page.keyboard.press('7');
    await page.getByTestId('view-diagnostics').waitFor();
    expect(await page.getByTestId('nav-diagnostics').getAttribute('aria-current')).toBe('page');
    expect(await page.getByTestId('diagnostics-runtime').getAttribute('data-host')).toBe('cli');
    expect(await text('diagnostics-runtime')).toContain(`Node ${process.versions.node}`);
    expect(await page.getByTestId('path-source').getAttribute('data-source')).toBe('inherited');
    // `up` was started with the test's PATH, which its workers inherit: its folders, in order.
    const entries = page.getByTestId('path-entry');
    await entries.first().waitFor();
    const shown = (await entries.locator('td:nth-child(2)').allTextContents()).map((dir) => dir.trim());
    expect(shown).toEqual((process.env.PATH ?? '').split(path.delimiter).filter(Boolean));
    const api = page.getByTestId('command-api');
    expect(await api.getAttribute('data-resolved')).toBe('true');
    expect(await api.textContent()).toContain(process.execPath);
    expect(await page.getByTestId('commands-hint').count()).toBe(0);
    await shot('6b-diagnostics');
    await page.getByTestId('diagnostics-refresh').click();
    await page.locator('[data-testid="diagnostics-refresh"]:not([disabled])').waitFor();
    expect(await page.getByTestId('diagnostics-error').count()).toBe(0);
    await show('overview');
  });

  it('7: refuses a page without the token, with a wrong one, and a socket from another origin', async () => {
    const elsewhere = await (browser as Browser).newContext({ viewport: { width: 1280, height: 720 } });
    elsewhere.setDefaultTimeout(WAIT_MS);
    try {
      const stranger = await elsewhere.newPage();
      await stranger.goto(`http://127.0.0.1:${controlPort}/`);
      await stranger.getByTestId('refused').waitFor();
      await shot('7-refused-no-token', stranger);

      const guesser = await elsewhere.newPage();
      await guesser.goto(`http://127.0.0.1:${controlPort}/#token=${'x'.repeat(token.length)}`);
      await guesser.getByTestId('refused').waitFor();
      expect(await guesser.getByTestId('refused').textContent()).toContain('Not allowed in');
      expect(await guesser.getByTestId('process-table').count()).toBe(0);
      await shot('7-refused-wrong-token', guesser);

      const html = foreignPage(controlPort, token);
      foreign = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(html));
      await new Promise<void>((resolve) => (foreign as http.Server).listen(0, '127.0.0.1', resolve));
      const foreignPort = (foreign.address() as AddressInfo).port;
      const intruder = await elsewhere.newPage();
      await intruder.goto(`http://127.0.0.1:${foreignPort}/`);
      const outcome = () => intruder.evaluate('[document.getElementById("ws").textContent, document.getElementById("call").textContent]') as Promise<string[]>;
      const [socket, call] = await waitFor(async () => ((await outcome()).every(Boolean) ? outcome() : null), 'the foreign page to report', { timeout: WAIT_MS });
      await shot('7-foreign-origin', intruder);
      expect(socket).toMatch(/^closed \d+$/);
      // The browser may not show a foreign page the answer: the call fails (refused preflight), or at best reads a refusal.
      expect(call).toMatch(/^failed TypeError$|^answered 40[13]$/);
    } finally {
      await elsewhere.close();
    }
    // The same socket from the dashboard's own origin opens: the foreign page failed for its origin alone.
    expect(await page.evaluate(ownSocketAttempt(controlPort, token))).toBe('open');
  });

  it('8: says it is disconnected once `up` stops, keeping the last picture', async () => {
    const running = up as UpProcess;
    running.child.kill('SIGINT');
    await page.getByTestId('connection-banner').waitFor();
    await page.locator('[data-testid="connection-state"][data-state="closed"]').waitFor();
    expect(await page.getByTestId('process-table').count()).toBe(1);
    await shot('8-disconnected');
    const exit = await Promise.race([running.child, new Promise<null>((resolve) => setTimeout(() => resolve(null), WAIT_MS).unref())]);
    expect(exit?.exitCode, running.output().slice(-2000)).toBe(0);
  });
});
