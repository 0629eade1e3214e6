// The desktop app's lifecycle through the central electron fake, on real stacks: it opens the
// stack named on the command line with its window, tray and menus; its session answers over the
// bridge; quitting waits until every process is gone; a second quit kills at once; a second launch
// hands over its stack; crash loops notify once; a second instance quits before doing anything.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionClient } from '../../shared/client.ts';
import { DESKTOP_CONNECT_CHANNEL, DESKTOP_READY_MARKER } from '../../shared/desktop.ts';
import type { ServerMessage } from '../../shared/events.ts';
import type { ProcessInfo } from '../../shared/process.ts';
import { runFilePath } from '../../main/core/host/run-file.ts';
import { DesktopApp, stackArgument, type DesktopAppOptions } from '../../main/electron/desktop-app.ts';
import { applicationMenu, trayMenu, type MenuState, type ShellActions } from '../../main/electron/menus.ts';
import { app, BrowserWindow, dialog, ipcMain, Menu, Notification, portPair, resetElectronFake, timeline, Tray } from '../fakes/electron.ts';
import { alive, describeProcesses, newMarker, processesWithMarker } from '../helpers/processes.ts';
import { runCli, startUp } from '../helpers/cli.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const node = JSON.stringify(process.execPath);
const fixture = (name: string) => JSON.stringify(path.join(FIXTURES, name));
const marker = newMarker();
const MARKED_PATH_DIR = '/opt/switchyard-login-shell-marker/bin';

const cleanups: (() => void | Promise<void>)[] = [];
let desktop: DesktopApp | null = null;

const originalPath = process.env.PATH;
beforeEach(() => {
  resetElectronFake();
  process.env[marker.key] = marker.value;
});
afterEach(async () => {
  // Whatever a test left running is stopped the way a person would: quit, twice if need be.
  if (desktop && !app.quitted) {
    app.quit();
    await waitFor(() => app.quitted, 'the app to quit', { timeout: 20_000 }).catch(() => app.quit());
  }
  desktop = null;
  delete process.env[marker.key];
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await waitFor(() => processesWithMarker(marker).length === 0, 'no marked process left', { timeout: 15_000 }).catch((error: Error) => {
    throw new Error(`${error.message}: ${describeProcesses(processesWithMarker(marker)).join('; ')}`, { cause: error });
  });
});

/** A stack folder: a proxy in front of a static site and a pool of workers. */
async function stackFolder(name: string, apps: Record<string, { fixture: string; replicas?: number; extra?: string }>): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-desktop-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'web'));
  writeFileSync(path.join(dir, 'web', 'index.html'), '<h1>hi</h1>');
  const first = Object.keys(apps)[0]!;
  const lines = [`name: ${name}`, 'proxy:', `  listen: ${await getPort()}`, '  routes:', `    - { path: /api/, to: ${first} }`, '    - { path: /, to: web }', 'static:', '  web: { root: ./web }', 'apps:'];
  for (const [app, spec] of Object.entries(apps)) {
    lines.push(`  ${app}:`, `    command: [${node}, ${fixture(spec.fixture)}]`, `    replicas: ${spec.replicas ?? 1}`, '    health: { path: /healthz, interval: 200ms, timeout: 2s }', ...(spec.extra ? [spec.extra] : []));
  }
  writeFileSync(path.join(dir, 'switchyard.yaml'), `${lines.join('\n')}\n`);
  return path.join(dir, 'switchyard.yaml');
}

/** Starts the app with `argv` after the app folder; `beforeReady` runs once its events are registered, before Electron is ready. */
async function launch(argv: string[], options: Pick<DesktopAppOptions, 'stopTimeoutMs' | 'resolvePath' | 'platform'> & { beforeReady?: () => void } = {}): Promise<{ desktop: DesktopApp; logs: string[] }> {
  const { beforeReady, ...appOptions } = options;
  const logs: string[] = [];
  const prefsDir = mkdtempSync(path.join(os.tmpdir(), 'sy-desktop-prefs-'));
  cleanups.push(() => rmSync(prefsDir, { recursive: true, force: true }));
  desktop = new DesktopApp({
    argv: ['/fake/electron', '/app', ...argv],
    platform: 'linux',
    preferencesDir: prefsDir,
    resolvePath: async () => ({ path: `${MARKED_PATH_DIR}:${originalPath}`, source: 'login-shell', shell: '/bin/zsh', durationMs: 12, problem: null }),
    log: (line) => logs.push(line),
    ...appOptions,
  });
  const running = desktop.run();
  beforeReady?.();
  app.fireReady();
  await running;
  return { desktop, logs };
}

/** Runs the stack of `file` with `switchyard up`, as from a terminal, until the test ends. */
async function runInTerminal(file: string): Promise<void> {
  const up = startUp(path.dirname(file), [], { [marker.key]: marker.value });
  cleanups.push(async () => {
    up.child.kill('SIGINT');
    await up.child;
  });
  await up.waitForOutput('ready');
}

const summaryState = (d: DesktopApp) => d.menuState().summary?.state;

/** A session over the bridge, as the page's preload opens it. */
function connect(window: BrowserWindow): SessionClient {
  const { main, page } = portPair();
  const client = new SessionClient({ send: (message) => page.postMessage(message) });
  page.on('message', (message: ServerMessage) => client.receive(message));
  ipcMain.receive(DESKTOP_CONNECT_CHANNEL, window.webContents, { ports: [main] });
  cleanups.push(() => page.close());
  return client;
}

function environOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

describe('the desktop app', () => {
  it('opens the stack from the command line with a window, tray and menus, and its session answers', async () => {
    const file = await stackFolder('shop', { api: { fixture: 'graceful.js', replicas: 2 } });
    const { desktop: shell, logs } = await launch([file]);
    expect(BrowserWindow.instances).toHaveLength(1);
    const window = BrowserWindow.instances[0]!;
    expect(window.loadedUrl).toBe('switchyard://app/index.html');
    expect(logs.some((line) => line.startsWith(DESKTOP_READY_MARKER))).toBe(true);
    await waitFor(() => summaryState(shell) === 'running', 'every process ready', { timeout: 15_000 });

    const tray = Tray.instances[0]!;
    expect(tray.tooltip).toMatch(/shop, running · 4 of 4 ready/);
    expect(path.basename(tray.image.path)).toBe('tray-running.png');
    expect(existsSync(tray.image.path)).toBe(true);
    expect((tray.contextMenu!.template[0] as { label: string }).label).toMatch(/^shop: running/);
    const menus = (Menu.applicationMenu!.template as { label?: string }[]).map((item) => item.label ?? '');
    expect(menus).toEqual(expect.arrayContaining(['File', 'View', 'Stack']));
    expect(window.title).toBe('shop — Switchyard');

    // The dashboard's session: the same contract as over the WebSocket.
    const client = connect(window);
    expect((await client.api.status()).name).toBe('shop');
    const diagnostics = await client.api.diagnostics();
    expect(diagnostics.runtime.host).toBe('desktop');
    expect(diagnostics.path.source).toBe('login-shell');
    expect(diagnostics.path.value.split(path.delimiter)[0]).toBe(MARKED_PATH_DIR);

    // Workers get the login shell's PATH and no ELECTRON_RUN_AS_NODE; the proxy runs as Node.
    const processes = await client.api.listProcesses();
    const worker = processes.find((p) => p.name === 'api-1')!;
    const proxy = processes.find((p) => p.name === 'proxy')!;
    expect(environOf(worker.pid!)).toContain(`PATH=${MARKED_PATH_DIR}:${originalPath}`);
    // Handed to the stack (and to editors) explicitly: the app's own environment stays as it started.
    expect(process.env.PATH).toBe(originalPath);
    expect(environOf(worker.pid!).some((entry) => entry.startsWith('ELECTRON_RUN_AS_NODE='))).toBe(false);
    expect(environOf(proxy.pid!)).toContain('ELECTRON_RUN_AS_NODE=1');

    // The run file lets `switchyard ps` reach the app's stack from a terminal.
    expect(existsSync(runFilePath(file))).toBe(true);
  });

  it('quits only after the stack has stopped: processes, run file and tray are gone first', async () => {
    const file = await stackFolder('quitter', { api: { fixture: 'graceful.js', replicas: 2 } });
    const { desktop: shell } = await launch([file]);
    await waitFor(() => summaryState(shell) === 'running', 'every process ready', { timeout: 15_000 });
    const pids = (await connect(BrowserWindow.instances[0]!).api.listProcesses()).map((p) => p.pid!);
    expect(pids).toHaveLength(4);
    let atQuit: { alive: number[]; runFile: boolean } | null = null;
    app.on('will-quit', () => (atQuit = { alive: pids.filter(alive), runFile: existsSync(runFilePath(file)) }));

    app.quit();
    expect(app.quitted).toBe(false);
    expect(timeline).toContain('quit deferred');
    await waitFor(() => app.quitted, 'the app to quit', { timeout: 20_000 });
    expect(atQuit).toEqual({ alive: [], runFile: false });
    expect(timeline.indexOf('tray destroyed')).toBeLessThan(timeline.indexOf('app quit'));
    expect(app.quitRequests).toBe(2);
  });

  it('kills at once on a second quit while a graceful stop is under way', async () => {
    // A stop timeout far beyond the test's own: only the kill can end the stop in time.
    const file = await stackFolder('stubborn', { api: { fixture: 'ignore-sigterm.js', extra: '    stop: { timeout: 300s }' } });
    const { desktop: shell } = await launch([file]);
    await waitFor(() => summaryState(shell) === 'running', 'every process ready', { timeout: 15_000 });
    const session = connect(BrowserWindow.instances[0]!);
    const pids = (await session.api.listProcesses()).map((p) => p.pid!);
    app.quit();
    await waitFor(async () => (await session.api.listProcesses()).find((p) => p.name === 'api-1')?.state === 'stopping', 'the graceful stop under way');
    expect(app.quitted).toBe(false);
    app.quit();
    await waitFor(() => app.quitted, 'the app to quit', { timeout: 20_000 });
    // Every process of the stack is gone by then; the watchdog, told goodbye, exits on its own just after.
    expect(pids.filter(alive)).toEqual([]);
    await waitFor(() => processesWithMarker(marker).length === 0, 'the watchdog to exit');
  });

  it('takes the stack of a second launch: the first is stopped, the window reloads, both are recent', async () => {
    const first = await stackFolder('first', { api: { fixture: 'graceful.js' } });
    const second = await stackFolder('second', { api: { fixture: 'graceful.js' } });
    const { desktop: shell } = await launch([first]);
    await waitFor(() => summaryState(shell) === 'running', 'first ready', { timeout: 15_000 });
    const firstPids = processesWithMarker(marker);

    // A relative path is the second launch's, resolved against its own working directory.
    app.emit('second-instance', {}, ['/fake/electron', '--no-sandbox', '/app', path.basename(path.dirname(second))], path.dirname(path.dirname(second)));
    await waitFor(() => shell.menuState().stack?.name === 'second' && summaryState(shell) === 'running', 'second ready', { timeout: 20_000 });
    expect(firstPids.filter(alive)).toEqual([]);
    expect(existsSync(runFilePath(first))).toBe(false);
    expect(BrowserWindow.instances).toHaveLength(1);
    expect(BrowserWindow.instances[0]!.webContents.reloads).toBe(1);
    expect(shell.menuState().recent.map((entry) => entry.name)).toEqual(['second', 'first']);
  });

  it('opens one stack at a time: an open asked for during another is refused', async () => {
    const first = await stackFolder('one', { api: { fixture: 'graceful.js' } });
    const second = await stackFolder('two', { api: { fixture: 'graceful.js' } });
    const third = await stackFolder('three', { api: { fixture: 'graceful.js' } });
    const { desktop: shell } = await launch([first]);
    const [opened, refused] = await Promise.all([shell.openStack(second), shell.openStack(third)]);
    expect([opened, refused]).toEqual([true, false]);
    expect(shell.menuState().stack?.name).toBe('two');
    expect(existsSync(runFilePath(third))).toBe(false);
    expect(existsSync(runFilePath(first))).toBe(false);
  });

  it('keeps the running stack when the file to open is broken, and says what is wrong', async () => {
    const good = await stackFolder('good', { api: { fixture: 'graceful.js' } });
    const broken = path.join(path.dirname(good), 'broken.yaml');
    writeFileSync(broken, 'name: broken\napps:\n  api:\n    command: node x.js\n    replica: 2\n');
    const { desktop: shell } = await launch([good]);
    expect(await shell.openStack(broken)).toBe(false);
    expect(dialog.errors).toHaveLength(1);
    expect(dialog.errors[0]!.title).toBe('broken.yaml is not valid');
    expect(dialog.errors[0]!.content).toMatch(/broken\.yaml:5:5: error: .*'replica'.*did you mean 'replicas'/);
    expect(shell.menuState().stack?.name).toBe('good');
    expect(await shell.openStack(path.join(os.tmpdir(), 'no-such-folder-switchyard'))).toBe(false);
    expect(dialog.errors[1]!.content).toMatch(/does not exist/);
  });

  it('refuses a stack that a terminal runs, before stopping its own for it', async () => {
    const own = await stackFolder('own', { api: { fixture: 'graceful.js' } });
    const theirs = await stackFolder('theirs', { api: { fixture: 'graceful.js' } });
    await runInTerminal(theirs);
    const { desktop: shell } = await launch([own]);
    await waitFor(() => summaryState(shell) === 'running', 'own ready', { timeout: 15_000 });
    // Both stacks' processes, as each stack lists them (the marker also lands on short-lived helpers
    // such as `ps`): the refusal may touch none of them.
    const session = connect(BrowserWindow.instances[0]!);
    const stackPids = async () => ({
      own: (await session.api.listProcesses()).map((p) => p.pid),
      theirs: (JSON.parse(String((await runCli(['ps', '--json'], path.dirname(theirs))).stdout)) as ProcessInfo[]).map((p) => p.pid),
    });
    const pids = await stackPids();
    expect(pids.own).toHaveLength(3);
    expect(pids.theirs).toHaveLength(3);

    expect(await shell.openStack(theirs)).toBe(false);
    expect(dialog.errors).toEqual([{ title: 'Could not open this stack', content: expect.stringMatching(/ is already running \(pid \d+\); stop it with `switchyard down`/) }]);
    expect(dialog.errors[0]!.content.startsWith(`${theirs} is already running`)).toBe(true);
    expect(shell.menuState().stack?.name).toBe('own');
    expect(await stackPids()).toEqual(pids);
    expect(BrowserWindow.instances[0]!.webContents.reloads).toBe(0);
  });

  it('starts the previous stack again when the next one cannot start, and says so', async () => {
    const before = await stackFolder('before', { api: { fixture: 'graceful.js' } });
    const next = await stackFolder('next', { api: { fixture: 'graceful.js' } });
    // Where the run file goes, a file: the next stack cannot be hosted (it passes every check before).
    writeFileSync(path.join(path.dirname(next), '.switchyard'), 'not a folder\n');
    const { desktop: shell } = await launch([before]);
    await waitFor(() => summaryState(shell) === 'running', 'before ready', { timeout: 15_000 });
    const firstPids = processesWithMarker(marker);

    expect(await shell.openStack(next)).toBe(false);
    expect(dialog.errors).toHaveLength(1);
    expect(dialog.errors[0]!.title).toBe('Could not start next');
    const content = dialog.errors[0]!.content;
    expect(content.startsWith(`could not write the run file ${runFilePath(next)}: EEXIST`)).toBe(true);
    expect(content.endsWith(`so make ${path.dirname(runFilePath(next))} a folder this user can write to\n\nbefore is running again.`)).toBe(true);
    expect(shell.menuState().stack?.name).toBe('before');
    await waitFor(() => summaryState(shell) === 'running', 'before ready again', { timeout: 15_000 });
    // Started again, not kept: new processes, a new session for the page, and no process of the next stack.
    expect(firstPids.filter(alive)).toEqual([]);
    expect(BrowserWindow.instances[0]!.webContents.reloads).toBe(1);
    expect(shell.menuState().recent.map((entry) => entry.name)).toEqual(['before']);
    expect(existsSync(runFilePath(before))).toBe(true);
  });

  it('at launch, names a stack a terminal runs as running, not as a file whose ports are taken', async () => {
    const theirs = await stackFolder('busy', { api: { fixture: 'graceful.js' } });
    await runInTerminal(theirs);
    await launch([theirs]);
    expect(dialog.errors.map((error) => error.title)).toEqual(['Could not open this stack']);
    expect(dialog.errors[0]!.content.startsWith(`${theirs} is already running (pid `)).toBe(true);
    // Nothing runs, so it asks what to open; told nothing, it quits.
    expect(dialog.messageBoxes).toHaveLength(1);
    await waitFor(() => app.quitted, 'the app to quit');
  });

  it.each([0, 20, 60, 120, 250, 500])('quits cleanly when asked %i ms into a switch: nothing left running, nothing reported', async (delay) => {
    const from = await stackFolder('from', { api: { fixture: 'graceful.js' } });
    const to = await stackFolder('to', { api: { fixture: 'graceful.js', replicas: 2 } });
    const { desktop: shell } = await launch([from]);
    await waitFor(() => summaryState(shell) === 'running', 'from ready', { timeout: 15_000 });
    const switching = shell.openStack(to);
    // The stimulus, not a wait: the quit lands at some step of the switch, whichever one.
    await new Promise((resolve) => setTimeout(resolve, delay));
    app.quit();
    await switching;
    await waitFor(() => app.quitted, 'the app to quit', { timeout: 20_000 });
    await waitFor(() => processesWithMarker(marker).length === 0, 'no process of either stack left', { timeout: 10_000 });
    expect([existsSync(runFilePath(from)), existsSync(runFilePath(to))]).toEqual([false, false]);
    expect(dialog.errors).toEqual([]);
    expect(dialog.messageBoxes).toEqual([]);
  });

  it('opens a stack the system asked for before launch was done, and the latest of those asked during a switch', async () => {
    const early = await stackFolder('early', { api: { fixture: 'graceful.js' } });
    const skipped = await stackFolder('skipped', { api: { fixture: 'graceful.js' } });
    const latest = await stackFolder('latest', { api: { fixture: 'graceful.js' } });
    // macOS: a double-clicked stack file arrives before the app is ready.
    const { desktop: shell } = await launch([], { platform: 'darwin', beforeReady: () => app.emit('open-file', { preventDefault: () => {} }, early) });
    expect(shell.menuState().stack?.name).toBe('early');
    expect(dialog.messageBoxes).toEqual([]);

    const switching = shell.openStack(path.dirname(early));
    app.emit('open-file', { preventDefault: () => {} }, skipped);
    app.emit('open-file', { preventDefault: () => {} }, latest);
    expect(await switching).toBe(true);
    await waitFor(() => shell.menuState().stack?.name === 'latest' && summaryState(shell) === 'running', 'the latest stack asked for', { timeout: 20_000 });
    expect(existsSync(runFilePath(skipped))).toBe(false);
    expect(shell.menuState().recent.map((entry) => entry.name)).toEqual(['latest', 'early']);
  });

  it('asks again when the stack chosen at launch cannot open, until told to quit', async () => {
    const broken = path.join(mkdtempSync(path.join(os.tmpdir(), 'sy-desktop-')), 'switchyard.yaml');
    cleanups.push(() => rmSync(path.dirname(broken), { recursive: true, force: true }));
    writeFileSync(broken, 'name: broken\napps: {}\nproxy: 12\n');
    dialog.messageBoxAnswers.push(0, 2);
    dialog.openAnswers.push([broken]);
    await launch([]);
    expect(dialog.errors.map((error) => error.title)).toEqual(['switchyard.yaml is not valid']);
    expect(dialog.messageBoxes).toHaveLength(2);
    await waitFor(() => app.quitted, 'the app to quit');
  });

  it('asks what to open when there is nothing, and quits when told to', async () => {
    dialog.messageBoxAnswers.push(2);
    await launch([]);
    expect(dialog.messageBoxes).toHaveLength(1);
    expect(dialog.messageBoxes[0]!.buttons).toEqual(['Open Stack…', 'New Stack from Demo…', 'Quit']);
    expect(BrowserWindow.instances).toHaveLength(0);
    await waitFor(() => app.quitted, 'the app to quit');
  });

  it('says once why the login shell\'s PATH is not used, and keeps its own', async () => {
    const file = await stackFolder('inherited', { api: { fixture: 'graceful.js' } });
    const problem = '/bin/zsh took longer than 5 s to start (reading ~/.zprofile or ~/.zshrc); make that faster, or start Switchyard from a terminal';
    const { desktop: shell, logs } = await launch([file], { resolvePath: async () => ({ path: originalPath ?? '', source: 'inherited', shell: '/bin/zsh', durationMs: 5000, problem }) });
    expect(await shell.openStack(file)).toBe(true);
    expect(logs.filter((line) => line.startsWith('PATH'))).toEqual([`PATH: ${problem}`]);
    expect(process.env.PATH).toBe(originalPath);
  });

  it('opens the folder chosen in the first dialog', async () => {
    const file = await stackFolder('chosen', { api: { fixture: 'graceful.js' } });
    dialog.messageBoxAnswers.push(0);
    dialog.openAnswers.push([path.dirname(file)]);
    const { desktop: shell } = await launch([]);
    expect(shell.menuState().stack).toMatchObject({ name: 'chosen', file });
    expect(BrowserWindow.instances).toHaveLength(1);
  });

  it('notifies once when an app enters a crash loop, and not for a kill asked for', async () => {
    const file = await stackFolder('crashy', {
      api: { fixture: 'graceful.js' },
      bad: { fixture: 'crash-now.js', extra: '    restart: always\n    backoff: { initial: 300ms, max: 400ms }\n    max_restarts: 100' },
    });
    const { desktop: shell } = await launch([file]);
    const client = connect(BrowserWindow.instances[0]!);
    const restartsOfBad = async () => (await client.api.listProcesses()).find((p) => p.name === 'bad-1')?.restarts ?? 0;
    await waitFor(() => Notification.instances.length > 0, 'a crash-loop notification', { timeout: 15_000 });
    // Two more crashes of the same loop say nothing new.
    const restartsAtNotice = await restartsOfBad();
    await waitFor(async () => (await restartsOfBad()) >= restartsAtNotice + 2, 'two more crashes of bad', { timeout: 15_000 });
    expect(Notification.instances).toHaveLength(1);
    expect(Notification.instances[0]!.title).toBe('bad is crash-looping');
    expect(Notification.instances[0]!.shown).toBe(true);
    // Between its restarts the looping app shows in the tray (it spends most of each cycle backing off).
    await waitFor(() => summaryState(shell) === 'failing' && path.basename(Tray.instances[0]!.image.path) === 'tray-failing.png', 'the tray to show the failing stack', { timeout: 15_000 });

    // Killing a healthy worker three times from the dashboard is not a crash loop.
    let killed: number | null = null;
    const readyAgain = () =>
      // Ready again with a new pid: the previous kill's crash has been seen and the worker restarted.
      waitFor(async () => {
        const api = (await client.api.listProcesses()).find((p) => p.name === 'api-1');
        return api?.state === 'ready' && api.pid !== killed;
      }, 'api-1 ready with a new pid', { timeout: 15_000 });
    for (let i = 0; i < 3; i++) {
      await readyAgain();
      killed = await client.api.kill('api-1');
    }
    await readyAgain();
    expect(Notification.instances.map((n) => n.title)).toEqual(['bad is crash-looping']);
  });

  it('quits at once as a second instance, before touching anything', async () => {
    app.singleInstanceLock = false;
    await import('../../main/electron/main.ts');
    expect(app.quitRequests).toBe(1);
    expect(app.quitted).toBe(true);
    expect(BrowserWindow.instances).toHaveLength(0);
    expect(Tray.instances).toHaveLength(0);
  });
});

describe('the command line', () => {
  it('names the stack after the app folder and Chromium switches, packaged or not', () => {
    expect(stackArgument(['/e/electron', '/app', 'shop/switchyard.yaml'], false)).toBe('shop/switchyard.yaml');
    expect(stackArgument(['/e/electron', '--no-sandbox', '/app', 'shop'], false)).toBe('shop');
    expect(stackArgument(['/e/electron', '/app', '--inspect=9229'], false)).toBeNull();
    expect(stackArgument(['/Applications/Switchyard', '--allow-file-access', 'shop.yaml'], true)).toBe('shop.yaml');
    expect(stackArgument(['/Applications/Switchyard'], true)).toBeNull();
  });
});

describe('the menus', () => {
  const actions = new Proxy({}, { get: () => () => {} }) as ShellActions;
  const state = (overrides: Partial<MenuState>): MenuState => ({
    platform: 'linux',
    stack: { name: 'shop', file: '/w/shop/switchyard.yaml', proxyUrl: 'http://127.0.0.1:8080/' },
    summary: { state: 'running', ready: 3, total: 3, label: 'running · 3 of 3 ready' },
    recent: [{ file: '/w/shop/switchyard.yaml', name: 'shop', openedAt: 1 }],
    theme: 'dark',
    busy: false,
    ...overrides,
  });
  type Item = { label?: string; role?: string; enabled?: boolean; checked?: boolean; submenu?: Item[] };
  const find = (items: Item[], label: string): Item | undefined => {
    for (const item of items) {
      if (item.label === label) return item;
      const inner = item.submenu && find(item.submenu, label);
      if (inner) return inner;
    }
    return undefined;
  };

  it('offer the stack actions only when they can run', () => {
    const running = applicationMenu(state({}), actions) as Item[];
    expect(find(running, 'Stop All')?.enabled).toBe(true);
    expect(find(running, 'Reload All (rolling)')?.enabled).toBe(true);
    expect(find(running, 'Open Proxy in Browser')?.enabled).toBe(true);
    const stopped = applicationMenu(state({ summary: { state: 'stopped', ready: 0, total: 0, label: 'stopped' } }), actions) as Item[];
    expect(find(stopped, 'Stop All')?.enabled).toBe(false);
    expect(find(stopped, 'Start All')?.enabled).toBe(true);
    const busy = trayMenu(state({ busy: true }), actions) as Item[];
    expect(find(busy, 'Start All')?.enabled).toBe(false);
    const none = applicationMenu(state({ stack: null, summary: null, recent: [] }), actions) as Item[];
    expect(find(none, 'Edit Stack File')?.enabled).toBe(false);
    expect(find(none, 'No Recent Stacks')?.enabled).toBe(false);
    expect(find(none, 'Quit')).toBeDefined();
  });

  it('show the theme chosen and the stack in the tray', () => {
    const menu = applicationMenu(state({ theme: 'light' }), actions) as Item[];
    expect(find(menu, 'Light')?.checked).toBe(true);
    expect(find(menu, 'Dark')?.checked).toBe(false);
    expect((trayMenu(state({}), actions) as Item[])[0]).toMatchObject({ label: 'shop: running · 3 of 3 ready', enabled: false });
    expect((applicationMenu(state({ platform: 'darwin' }), actions) as Item[])[0]!.label).toBe('Switchyard');
  });
});
