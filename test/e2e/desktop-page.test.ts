// The dashboard page as the desktop app runs it, in a real browser: the built page, a real stack
// hosted the way the app hosts it (StackHost, with the desktop's diagnostics), and a stand-in for
// the preload that exposes `window.switchyard` with `post` and `onMessage` only and carries the
// contract's messages to a core session. The Electron binary cannot run here; this is the closest
// the page gets to the app: it must pick the bridge (it has no token, so a WebSocket would be
// refused), work the stack through it, and take its theme from the app, not from a choice of its own.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { servePort, type PortLike } from '../../main/core/control/port-session.ts';
import type { Disposable } from '../../main/core/events.ts';
import { StackHost } from '../../main/core/host/stack-host.ts';
import { loadStack } from '../../main/core/config/load.ts';
import { CHROMIUM_MISSING, findChromium, launchChromium } from '../../bench/lib/browser.ts';
import { dashboardBuildProblem } from '../helpers/dashboard-build.ts';
import { FIXTURES } from '../helpers/specs.ts';

const DASHBOARD = fileURLToPath(new URL('../../renderer/dist/', import.meta.url));
const WAIT_MS = 15_000;
const LOGIN_SHELL = { source: 'login-shell', shell: '/bin/zsh', durationMs: 12, problem: null } as const;

// The page's globals, for the functions below that run in the browser (tests are type-checked without the DOM).
declare const window: Record<string, unknown> & { __deliver(message: unknown): void };
declare const document: { documentElement: { dataset: Record<string, string | undefined> } };

const chromiumPath = findChromium();
if (chromiumPath === null) console.warn(`test/e2e/desktop-page.test.ts skipped: ${CHROMIUM_MISSING}`);

/**
 * Runs in the page before its own scripts, as the preload does: the bridge, and a choice of theme
 * the page made before (in localStorage), which the app's theme must win over.
 */
function preloadStandIn(): void {
  const listeners = new Set<(message: unknown) => void>();
  const scope = window;
  scope.__deliver = (message: unknown) => {
    for (const listener of listeners) listener(message);
  };
  const post = scope.__post as (message: unknown) => void;
  scope.switchyard = Object.freeze({
    post: (message: unknown) => post(structuredClone(message)),
    onMessage: (listener: (message: unknown) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  localStorage.setItem('switchyard.theme', 'light');
}

/**
 * The main process's end of the page's bridge, as a port `servePort` can serve: what the core
 * posts is handed to the page in order; what the page posts arrives through `receive`.
 */
function pagePort(page: Page): PortLike & { receive(message: unknown): void } {
  const onMessage: ((message: unknown) => void)[] = [];
  let delivered: Promise<unknown> = Promise.resolve();
  return {
    postMessage: (message: unknown) => {
      delivered = delivered.then(() => page.evaluate((m) => window.__deliver(m), message).catch(() => undefined));
    },
    on: (event: 'message' | 'close', listener: (message?: unknown) => void) => {
      if (event === 'message') onMessage.push(listener);
    },
    close: () => {},
    receive: (message) => {
      for (const listener of onMessage) listener(message);
    },
  };
}

describe.skipIf(chromiumPath === null)('the dashboard page inside the desktop app', () => {
  let dir = '';
  let host: StackHost | null = null;
  let browser: Browser | null = null;
  let context!: BrowserContext;
  let page!: Page;
  const sockets: string[] = [];
  const pageErrors: string[] = [];
  const sessions: Disposable[] = [];
  const ports = new Map<Page, ReturnType<typeof pagePort>>();

  beforeAll(async () => {
    const problem = dashboardBuildProblem();
    if (problem) throw new Error(problem);
    dir = mkdtempSync(path.join(os.tmpdir(), 'sy-desktop-page-'));
    mkdirSync(path.join(dir, 'web'));
    writeFileSync(path.join(dir, 'web', 'index.html'), '<h1>hi</h1>\n');
    const file = path.join(dir, 'switchyard.yaml');
    const yaml = [
      'name: desk',
      'proxy:',
      `  listen: ${await getPort({ host: '127.0.0.1' })}`,
      '  routes:',
      '    - { path: /api/, to: api }',
      '    - { path: /, to: web }',
      'static:',
      '  web: { root: ./web }',
      'apps:',
      '  api:',
      `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(FIXTURES, 'http-worker.js'))}]`,
      '    replicas: 2',
      '    health: { path: /healthz, interval: 200ms, timeout: 2s }',
      '    stop: { timeout: 2s }',
      '',
    ].join('\n');
    writeFileSync(file, yaml);
    const { spec, issues } = await loadStack(file);
    if (!spec) throw new Error(`the test's stack file is invalid: ${JSON.stringify(issues)}`);
    const launching = launchChromium(chromiumPath).then((launched) => (browser = launched));
    host = await StackHost.open({
      file,
      spec,
      dashboardDir: DASHBOARD,
      onShutdownRequest: () => {},
      hub: { environment: { host: 'desktop', path: LOGIN_SHELL } },
    });
    await host.start();
    await launching;

    context = await (browser as unknown as Browser).newContext({ viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
    context.setDefaultTimeout(WAIT_MS);
    // The main process's end of the bridge, served as the app serves its MessagePort: one session per page (this test never reloads it).
    await context.exposeBinding('__post', ({ page: from }, message: unknown) => {
      let port = ports.get(from);
      if (!port) {
        port = pagePort(from);
        ports.set(from, port);
        sessions.push(servePort((host as StackHost).hub, port));
      }
      port.receive(message);
    });
    await context.addInitScript(preloadStandIn);
    page = await context.newPage();
    page.on('websocket', (socket) => sockets.push(socket.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto((host as StackHost).server.url);
  });
  afterAll(async () => {
    for (const session of sessions) session.dispose();
    await browser?.close().catch(() => undefined);
    if (host) {
      await host.stop();
      await host.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('works the stack over the bridge, without a token or a socket', async () => {
    for (const name of ['proxy', 'web', 'api-1', 'api-2']) {
      await page.locator(`[data-testid="state-${name}"][data-state="ready"]`).waitFor();
    }
    expect(await page.getByTestId('stack-name').textContent()).toBe('desk');
    expect(await page.locator('[data-testid="connection-state"]').getAttribute('data-state')).toBe('open');

    // An action named by the page and carried out by the core: Diagnostics asks for the host's report.
    await page.keyboard.press('7');
    await page.locator('[data-testid="diagnostics-runtime"][data-host="desktop"]').waitFor();
    expect(await page.getByTestId('path-source').getAttribute('data-source')).toBe('login-shell');
    expect(sockets).toEqual([]);
    expect(page.url()).not.toContain('token');
    expect(pageErrors).toEqual([]);
  });

  it("takes the app's theme: no choice of its own, and none kept from before", async () => {
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    // localStorage says light (the stand-in set it before the page ran); the app says dark.
    expect(await page.evaluate(() => localStorage.getItem('switchyard.theme'))).toBe('light');
    expect(await theme()).toBe('dark');
    expect(await page.getByTestId('theme-toggle').count()).toBe(0);
    await page.keyboard.press('1');
    await page.keyboard.press('t');
    expect(await theme()).toBe('dark');

    // View › Theme › Light sets nativeTheme.themeSource, which is the page's prefers-color-scheme.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');

    await page.keyboard.press('?');
    const help = (await page.getByTestId('shortcuts-help').textContent()) ?? '';
    expect(help).toContain('Follow the logs');
    expect(help).not.toContain('Dark or light theme');
    expect(pageErrors).toEqual([]);
  });
});
