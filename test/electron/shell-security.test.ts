// The shell's safety, through the central electron fake: the window's options, navigation and new
// windows locked to the app, permissions refused, the app's scheme serving only the built page,
// the bridge checking who sends the port, and a preload that exposes two functions and nothing else.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessagePort as NodeMessagePort } from 'node:worker_threads';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DESKTOP_BRIDGE_NAME, DESKTOP_CONNECT_CHANNEL } from '../../shared/desktop.ts';
import { APP_CSP, APP_URL, isAppUrl, registerAppScheme, rendererResponse, serveRenderer } from '../../main/electron/app-protocol.ts';
import { acceptSessions } from '../../main/electron/bridge.ts';
import { createMainWindow, lockDown, refusePermissions, windowOptions } from '../../main/electron/window.ts';
import { BrowserWindow, contextBridge, FakeWebContents, FakeWebFrame, ipcMain, ipcRenderer, portPair, protocol, resetElectronFake, session, shell } from '../fakes/electron.ts';
import { waitFor } from '../helpers/wait.ts';

beforeEach(() => resetElectronFake());

describe('the window', () => {
  it('is sandboxed and isolated, without Node, and opens on the app page', () => {
    const placement = { bounds: { x: 10, y: 20, width: 1000, height: 700 }, maximized: false };
    const window = createMainWindow({ preload: '/app/dist/electron/preload.cjs', placement }) as unknown as BrowserWindow;
    expect(BrowserWindow.instances).toEqual([window]);
    const prefs = window.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(window.options).toMatchObject({ x: 10, y: 20, width: 1000, height: 700, show: false });
    expect(window.loadedUrl).toBe(APP_URL);
    expect(window.maximized).toBe(false);
  });

  it('restores a maximized window maximized', () => {
    const window = createMainWindow({ preload: 'p', placement: { bounds: { width: 900, height: 600 }, maximized: true } }) as unknown as BrowserWindow;
    expect(window.maximized).toBe(true);
  });

  it('keeps every security option whatever the saved placement says', () => {
    const hostile = { bounds: { width: 900, height: 600, webPreferences: { nodeIntegration: true } } as never, maximized: false };
    const prefs = windowOptions('p', hostile).webPreferences as Record<string, unknown>;
    expect(prefs.nodeIntegration).toBe(false);
    expect(prefs.sandbox).toBe(true);
  });
});

describe('navigation and new windows', () => {
  let contents: FakeWebContents;
  beforeEach(() => {
    contents = new FakeWebContents();
    lockDown(contents as never);
  });

  it('stays on the app; web links go to the system browser, other schemes nowhere', () => {
    expect(contents.navigate(`${APP_URL}#/logs`)).toBe(true);
    expect(contents.navigate('https://example.com/docs')).toBe(false);
    expect(contents.navigate('file:///etc/passwd')).toBe(false);
    expect(contents.navigate('javascript:alert(1)')).toBe(false);
    expect(contents.navigate('http://127.0.0.1:8080/', 'will-redirect')).toBe(false);
    expect(shell.opened).toEqual(['https://example.com/docs']);
  });

  it('denies every new window and sends http(s) ones to the system browser', () => {
    const handler = contents.windowOpenHandler!;
    expect(handler({ url: 'http://127.0.0.1:8080/' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(handler({ url: `${APP_URL}` })).toEqual({ action: 'deny' });
    expect(shell.opened).toEqual(['http://127.0.0.1:8080/']);
  });

  it('refuses webviews', () => {
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    contents.emit('will-attach-webview', event, {}, {});
    expect(event.defaultPrevented).toBe(true);
  });

  it('refuses every permission but copying text from the app page', () => {
    refusePermissions();
    const answers: Record<string, boolean> = {};
    const ask = (permission: string) => session.defaultSession.permissionRequestHandler!(contents, permission, (granted) => (answers[`${contents.getURL()} ${permission}`] = granted));
    contents.mainFrame.url = APP_URL;
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'clipboard-sanitized-write']) ask(permission);
    contents.mainFrame.url = 'https://example.com/';
    ask('clipboard-sanitized-write');
    expect(answers).toEqual({
      [`${APP_URL} media`]: false,
      [`${APP_URL} notifications`]: false,
      [`${APP_URL} geolocation`]: false,
      [`${APP_URL} clipboard-read`]: false,
      [`${APP_URL} clipboard-sanitized-write`]: true,
      'https://example.com/ clipboard-sanitized-write': false,
    });
    const check = session.defaultSession.permissionCheckHandler!;
    expect(check(contents, 'clipboard-sanitized-write', 'switchyard://app')).toBe(true);
    expect(check(contents, 'clipboard-sanitized-write', 'https://example.com')).toBe(false);
    expect(check(contents, 'media', 'switchyard://app')).toBe(false);
  });
});

describe('the app scheme', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sy-renderer-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Switchyard</title>');
    writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(os.tmpdir(), 'sy-secret.txt'), 'secret');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is registered as a standard, secure scheme and served by the handler', async () => {
    registerAppScheme();
    expect(protocol.privileged).toEqual([{ scheme: 'switchyard', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    serveRenderer(dir);
    const response = await protocol.handlers.get('switchyard')!({ url: APP_URL });
    expect(response.status).toBe(200);
  });

  it('serves the built page with a strict CSP', async () => {
    const page = await rendererResponse(dir, APP_URL);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<title>Switchyard</title>');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toBe(APP_CSP);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-eval');
    const script = await rendererResponse(dir, 'switchyard://app/assets/app.js');
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('never serves a file outside the built page', async () => {
    for (const url of [
      'switchyard://app/../sy-secret.txt',
      'switchyard://app/%2e%2e/sy-secret.txt',
      'switchyard://app/assets/%2e%2e%2f%2e%2e%2fsy-secret.txt',
      'switchyard://app/..%5c..%5csy-secret.txt',
      'switchyard://app/index.html%00.js',
      'switchyard://other/index.html',
      'switchyard://user:pw@app/index.html',
      'switchyard://app/assets',
      'switchyard://app/missing.js',
    ]) {
      const response = await rendererResponse(dir, url);
      expect(response.status, url).toBeGreaterThanOrEqual(400);
      expect(await response.text(), url).not.toContain('secret');
    }
  });

  it('knows its own pages', () => {
    expect(isAppUrl(APP_URL)).toBe(true);
    expect(isAppUrl('switchyard://app/index.html#/logs')).toBe(true);
    expect(isAppUrl('switchyard://evil/index.html')).toBe(false);
    expect(isAppUrl('https://app/index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});

describe('the bridge', () => {
  const appPage = () => {
    const contents = new FakeWebContents();
    contents.mainFrame.url = APP_URL;
    return contents;
  };

  it('serves only the app window’s top frame on the app page, with exactly one port', async () => {
    const window = appPage();
    const refusals: string[] = [];
    const served: string[] = [];
    const hub = { subscribe: () => { served.push('subscribe'); return { snapshot: {}, dispose() {} }; } };
    const bridge = acceptSessions({ window: () => window as never, hub: () => hub as never, onRefused: (reason) => refusals.push(reason) });
    const closes: string[] = [];
    const attempt = (label: string, sender: FakeWebContents, options: { frame?: FakeWebFrame | null; ports?: number } = {}) => {
      const ports = Array.from({ length: options.ports ?? 1 }, () => {
        const pair = portPair();
        pair.page.on('close', () => closes.push(label));
        return pair.main;
      });
      ipcMain.receive(DESKTOP_CONNECT_CHANNEL, sender, { ...(options.frame === undefined ? {} : { frame: options.frame }), ports });
    };
    const other = appPage();
    attempt('another window', other);
    attempt('a subframe', window, { frame: new FakeWebFrame(APP_URL) });
    attempt('no frame', window, { frame: null });
    window.mainFrame.url = 'https://example.com/';
    attempt('a foreign page', window);
    window.mainFrame.url = APP_URL;
    attempt('no port', window, { ports: 0 });
    attempt('two ports', window, { ports: 2 });
    expect(refusals).toEqual(['not the app window', 'a subframe', 'its frame is gone', 'a foreign page (https://example.com/)', '0 ports instead of 1', '2 ports instead of 1']);
    // Every refused port is closed, so nothing is left listening.
    const refusedPorts = new Set(['another window', 'a subframe', 'no frame', 'a foreign page', 'two ports']);
    await waitFor(() => closes.length >= refusedPorts.size, 'every refused port to close');
    expect(new Set(closes)).toEqual(refusedPorts);
    bridge.dispose();
    expect(ipcMain.listenerCount(DESKTOP_CONNECT_CHANNEL)).toBe(0);
  });
});

describe('the preload', () => {
  it('exposes post and onMessage only, and hands one port to the main process', async () => {
    await import('../../main/electron/preload.ts');
    expect([...contextBridge.exposed.keys()]).toEqual([DESKTOP_BRIDGE_NAME]);
    const bridge = contextBridge.exposed.get(DESKTOP_BRIDGE_NAME) as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual(['onMessage', 'post']);
    expect(ipcRenderer.posted).toHaveLength(1);
    const [connect] = ipcRenderer.posted;
    expect(connect!.channel).toBe(DESKTOP_CONNECT_CHANNEL);
    expect(connect!.message).toBeNull();
    expect(connect!.transfer).toHaveLength(1);

    // The main process's end: what the page posts arrives there, and what it sends reaches the listener.
    const core = connect!.transfer[0] as NodeMessagePort;
    const fromPage: unknown[] = [];
    core.on('message', (data: unknown) => fromPage.push(data));
    const received: unknown[] = [];
    const post = bridge.post as (message: unknown) => void;
    const onMessage = bridge.onMessage as (listener: (message: unknown) => void) => () => void;
    const off = onMessage((message) => received.push(message));
    post({ type: 'call', id: 1, method: 'status', params: [] });
    core.postMessage({ type: 'result', id: 1, ok: true, value: 42 });
    await waitFor(() => fromPage.length === 1 && received.length === 1, 'a message each way');
    expect(fromPage).toEqual([{ type: 'call', id: 1, method: 'status', params: [] }]);
    expect(received).toEqual([{ type: 'result', id: 1, ok: true, value: 42 }]);
    // A listener still subscribed shows when the next message has reached the page.
    const stillListening: unknown[] = [];
    onMessage((message) => stillListening.push(message));
    off();
    core.postMessage({ type: 'result', id: 2, ok: true, value: 0 });
    await waitFor(() => stillListening.length === 1, 'the next message at the page');
    expect(received).toHaveLength(1);
    core.close();
  });
});
