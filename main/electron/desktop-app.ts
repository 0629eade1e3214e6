// The desktop app's lifecycle: one instance, one hosted stack at a time, a window on its dashboard,
// a tray icon with its state, native menus, and a quit that stops the stack gracefully before the
// app exits. Everything about the stack itself is the core's (StackHost); this file only wires.

import path from 'node:path';
import { app, type BrowserWindow, dialog, Menu, nativeImage, nativeTheme, Notification, shell, Tray, type Event as ElectronEvent } from 'electron';
import type Store from 'electron-store';
import launchEditor from 'launch-editor';
import { DESKTOP_READY_MARKER } from '../../shared/desktop.ts';
import type { StackSpec } from '../../shared/stack.ts';
import { loadStack } from '../core/config/load.ts';
import { formatIssues } from '../core/config/plan.ts';
import { DisposableStore, type Disposable } from '../core/events.ts';
import { resolveLoginShellPath, type PathResolution } from '../core/env/login-shell.ts';
import { CrashLoopDetector, summarizeStack, type StackSummary } from '../core/health/stack-state.ts';
import { StackHost } from '../core/host/stack-host.ts';
import type { NodeRuntime } from '../core/process/node-runtime.ts';
import { createStackFromTemplate, DEMO_TEMPLATE_DIR, forgetMissing, locateStackFile, rememberStack } from '../core/projects/projects.ts';
import { serveRenderer } from './app-protocol.ts';
import { acceptSessions } from './bridge.ts';
import { applicationMenu, trayMenu, trayTooltip, type MenuState, type ShellActions } from './menus.ts';
import { ASSETS_DIR, PRELOAD_FILE, RENDERER_DIR } from './paths.ts';
import { openPreferences, type Preferences, type ThemeSource } from './preferences.ts';
import { createMainWindow, openExternally, refusePermissions } from './window.ts';

/** The proxy, the static servers and the watchdog run on the app's own binary, as Node. */
export const ELECTRON_NODE_RUNTIME: NodeRuntime = { argv: [process.execPath], env: { ELECTRON_RUN_AS_NODE: '1' } };

/** The line the launcher (`switchyard app`) waits for. */
export const READY_MARKER = DESKTOP_READY_MARKER;

/** What the app needs from outside; tests replace the slow or global parts. */
export interface DesktopAppOptions {
  argv: readonly string[];
  platform?: NodeJS.Platform;
  /** The login shell's PATH (resolved once, with a timeout). */
  resolvePath?: () => Promise<PathResolution>;
  /** Where preferences live (app.getPath('userData') by default). */
  preferencesDir?: string;
  /** How long a graceful stop may take before everything is killed. */
  stopTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * The stack file named on the command line, if any: not the executable, not Chromium's switches,
 * and not the app's own folder (the first positional argument when run as `electron APP_DIR`).
 */
export function stackArgument(argv: readonly string[], packaged: boolean): string | null {
  const positional = argv.slice(1).filter((arg) => !arg.startsWith('-'));
  return positional[packaged ? 0 : 1] ?? null;
}

type QuitPhase = 'running' | 'stopping' | 'done';
/** How an open ended: the stack runs; it did not, and the current one (if any) runs on; or it did not, and neither does the one before. */
type SwitchOutcome = 'opened' | 'refused' | 'lost';

export class DesktopApp {
  private readonly options: DesktopAppOptions;
  private readonly platform: NodeJS.Platform;
  private readonly log: (line: string) => void;
  private prefs!: Store<Preferences>;
  private host: StackHost | null = null;
  private readonly hostSubscriptions = new DisposableStore();
  private window: BrowserWindow | null = null;
  private tray: Tray | null = null;
  private sessions: Disposable | null = null;
  private summary: StackSummary | null = null;
  /** The open under way (one at a time); shutdown waits for it before stopping what it started. */
  private opening: Promise<SwitchOutcome> | null = null;
  /** The latest open the system asked for (a second launch, a file opened from the Finder) while it could not run yet. */
  private requested: string | null = null;
  private welcoming: Promise<void> | null = null;
  /** Set once the app is ready and the preferences are read: opening a stack needs both. */
  private ready = false;
  /** A second quit: whatever an open under way still starts is killed, not stopped gracefully. */
  private killRequested = false;
  private quitPhase: QuitPhase = 'running';
  private pathResolution: Promise<PathResolution> | null = null;
  private readonly notifications = new Set<Notification>();
  readonly actions: ShellActions;

  constructor(options: DesktopAppOptions) {
    this.options = options;
    this.platform = options.platform ?? process.platform;
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.actions = {
      showWindow: () => this.showWindow(),
      openStack: () => void this.chooseStack(),
      openRecent: (file) => void this.openStack(file),
      clearRecent: () => {
        this.prefs.set('recentStacks', []);
        this.refresh();
      },
      newStackFromDemo: () => void this.newStackFromDemo(),
      editStackFile: () => this.editStackFile(),
      revealStackFile: () => this.host && shell.showItemInFolder(this.host.file),
      openProxyInBrowser: () => {
        const url = this.proxyUrl();
        if (url) openExternally(url);
      },
      openDashboardInBrowser: () => this.host && openExternally(this.host.server.dashboardUrl),
      startAll: () => void this.eachTarget('start'),
      stopAll: () => void this.eachTarget('stop'),
      reloadAll: () => void this.eachTarget('reload'),
      setTheme: (theme) => this.setTheme(theme),
      quit: () => app.quit(),
    };
  }

  /** Registers the app's events, then opens the stack named on the command line, the last one, or asks. */
  async run(): Promise<void> {
    app.on('second-instance', (_event, argv, workingDirectory) => {
      this.showWindow();
      const target = stackArgument(argv, app.isPackaged);
      if (target) this.requestOpen(path.resolve(workingDirectory, target));
    });
    // macOS: a stack file opened from the Finder, or dropped on the Dock icon (before launch is done, too).
    app.on('open-file', (event, file) => {
      event.preventDefault();
      this.requestOpen(file);
    });
    app.on('window-all-closed', () => {
      // macOS keeps the app (and its stack) in the menu bar; elsewhere closing the window quits
      // (once: a quit under way is not escalated to a kill by the window closing).
      if (this.platform !== 'darwin' && this.quitPhase === 'running') app.quit();
    });
    app.on('activate', () => this.showWindow());
    app.on('before-quit', (event) => this.beforeQuit(event));

    // Resolving the login shell's PATH takes a shell's start-up: begin at once, wait only when spawning.
    void this.loginShellPath();
    await app.whenReady();
    const opened = openPreferences({ cwd: this.options.preferencesDir ?? app.getPath('userData'), projectVersion: app.getVersion() });
    this.prefs = opened.store;
    if (opened.movedAside) this.log(`preferences were unreadable; kept them in ${opened.movedAside} and started from the defaults`);
    this.prefs.set('recentStacks', forgetMissing(this.prefs.get('recentStacks')));
    nativeTheme.themeSource = this.prefs.get('theme');
    refusePermissions();
    serveRenderer(RENDERER_DIR);
    this.sessions = acceptSessions({
      window: () => this.window?.webContents ?? null,
      hub: () => this.host?.hub ?? null,
      onRefused: (reason) => this.log(`refused a session from ${reason}`),
    });
    this.tray = new Tray(this.trayIcon());
    this.tray.on('click', () => this.showWindow());
    this.ready = true;
    this.refresh();

    const asked = this.requested;
    this.requested = null;
    const target = asked ?? stackArgument(this.options.argv, app.isPackaged) ?? this.prefs.get('recentStacks')[0]?.file ?? null;
    if (!(target && (await this.openStack(target)))) await this.welcome();
    if (this.host) this.log(`${READY_MARKER} (stack ${this.host.stack.spec.name}, control ${this.host.server.url})`);
  }

  /**
   * Opens `target` (a folder or a stack file) in place of the current stack. One opening at a time:
   * another asked for meanwhile is refused (false); the menus offer none while one is under way.
   */
  async openStack(target: string): Promise<boolean> {
    if (!this.ready || this.opening || this.quitPhase !== 'running') return false;
    const opening = this.switchTo(target);
    this.opening = opening;
    let outcome: SwitchOutcome;
    try {
      this.refresh();
      outcome = await opening;
    } finally {
      this.opening = null;
      this.refresh();
    }
    if (this.quitPhase === 'running') {
      // A switch that lost both stacks: the window has nothing to show, so ask what to open (as at launch).
      if (outcome === 'lost') void this.welcome();
      const next = this.requested;
      this.requested = null;
      if (next) void this.openStack(next);
    }
    return outcome === 'opened';
  }

  /** An open the system asked for: run now, or after the launch or the open under way (the latest one wins). */
  private requestOpen(target: string): void {
    if (this.ready && !this.opening) void this.openStack(target);
    else this.requested = target;
  }

  /** Checks the stack at `target`, then stops the current one and starts it; never throws. */
  private async switchTo(target: string): Promise<SwitchOutcome> {
    try {
      const located = locateStackFile(path.resolve(target));
      if (!located.ok) {
        this.showError('Cannot open this stack', located.problem);
        return 'refused';
      }
      // Run elsewhere (a terminal's `switchyard up`): refused first, before its ports look taken
      // and before the current stack is stopped for it.
      if (this.host?.file !== located.file) await StackHost.refuseIfRunning(located.file);
      // Loading checks that each app's command exists: on the PATH the stack will run with. The
      // running stack may hold the ports the next one wants; they are checked when it binds them.
      await this.loginShellPath();
      const { spec, issues } = await loadStack(located.file, { checkPorts: this.host === null });
      if (!spec) {
        this.showError(`${path.basename(located.file)} is not valid`, `${formatIssues(issues, path.dirname(located.file))}\n\nFix the errors above, then open it again.`);
        return 'refused';
      }
      if (this.quitPhase !== 'running') return 'refused';
      const previous = this.host ? { file: this.host.file, spec: this.host.stack.spec } : null;
      await this.closeStack();
      if (this.quitPhase !== 'running') return 'refused';
      try {
        await this.hostStack(located.file, spec);
        return 'opened';
      } catch (error) {
        const restored = await this.recover(previous, spec.name, error as Error);
        return previous !== null && !restored ? 'lost' : 'refused';
      }
    } catch (error) {
      this.showError('Could not open this stack', (error as Error).message);
      return 'refused';
    }
  }

  /**
   * A stack failed to start in place of `previous`: the previous one is started again, as nginx
   * keeps its old configuration when a reload fails. True when it runs again.
   */
  private async recover(previous: { file: string; spec: StackSpec } | null, failed: string, error: Error): Promise<boolean> {
    this.log(`could not start ${failed}: ${error.message}`);
    // Quitting: nothing to bring back, and nobody to tell.
    if (this.quitPhase !== 'running') return false;
    if (previous) {
      try {
        await this.hostStack(previous.file, previous.spec);
        this.showError(`Could not start ${failed}`, `${error.message}\n\n${previous.spec.name} is running again.`);
        return true;
      } catch (again) {
        this.log(`could not start ${previous.spec.name} again: ${(again as Error).message}`);
        if (this.quitPhase !== 'running') return false;
      }
    }
    this.showError(`Could not start ${failed}`, error.message);
    // The page's session ended with the stack: reloaded, it shows that none is open instead of the last figures.
    if (this.window && !this.window.isDestroyed()) this.window.webContents.reload();
    return false;
  }

  /**
   * An error the person should read. Not `dialog.showErrorBox`: that one is synchronous and would
   * hold the main process, and with it the running stack's logs, health checks and control API.
   */
  private showError(title: string, detail: string): void {
    void dialog.showMessageBox({ type: 'error', title, message: title, detail, buttons: ['OK'] });
  }

  private async hostStack(file: string, spec: StackSpec): Promise<void> {
    const resolution = await this.loginShellPath();
    const host = await StackHost.open({
      file,
      spec,
      runtime: ELECTRON_NODE_RUNTIME,
      baseEnv: { ...process.env, PATH: resolution.path },
      retainedLines: this.prefs.get('logRetention'),
      dashboardDir: RENDERER_DIR,
      // `switchyard down` against the app's stack ends the app, as it ends `switchyard up`.
      onShutdownRequest: () => app.quit(),
      hub: { environment: { host: 'desktop', path: resolution } },
    });
    if (this.quitPhase !== 'running') {
      // The app began to quit while the stack was being opened: its processes are not started.
      await host.close();
      throw new Error('the app is quitting');
    }
    this.host = host;
    const loops = new CrashLoopDetector();
    this.hostSubscriptions.add(loops);
    this.hostSubscriptions.add(loops.onCrashLoop((loop) => this.notify(loop.gaveUp ? `${loop.app} stopped restarting` : `${loop.app} is crash-looping`, loop.message)));
    this.hostSubscriptions.add(
      host.stack.onProcessChange((change) => {
        loops.observe(change);
        this.updateSummary();
      }),
    );
    try {
      await host.start();
    } catch (error) {
      await this.closeStack();
      throw error;
    }
    // Remembered once it runs: the stack a launch reopens is never one that could not start.
    this.prefs.set('recentStacks', rememberStack(this.prefs.get('recentStacks'), { file, name: spec.name, openedAt: Date.now() }));
    this.updateSummary();
    // A new stack needs a new session: the page reloads and its preload connects again.
    if (this.window && !this.window.isDestroyed()) this.window.webContents.reload();
    else this.openWindow();
  }

  /**
   * The login shell's PATH, resolved once (started as the app starts) and from then on this
   * process's own: stack files are checked, editors opened and processes started with it.
   */
  private loginShellPath(): Promise<PathResolution> {
    this.pathResolution ??= (this.options.resolvePath ?? (() => resolveLoginShellPath()))().then((resolution) => {
      process.env.PATH = resolution.path;
      this.log(resolution.problem ? `PATH: ${resolution.problem}` : `PATH from ${resolution.shell} in ${resolution.durationMs} ms`);
      return resolution;
    });
    return this.pathResolution;
  }

  /** Stops the current stack gracefully (killing what outlives the stop timeout) and closes it. */
  private async closeStack(): Promise<void> {
    const host = this.host;
    if (!host) return;
    this.hostSubscriptions.dispose();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.options.stopTimeoutMs ?? 60_000)));
    const outcome = await Promise.race([host.stop().then(() => 'stopped' as const), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.log('the graceful stop took too long: killing every process');
      await host.kill();
    }
    await host.close();
    this.host = null;
    this.summary = null;
  }

  /** The first quit stops the stack and quits when it is down; a second one kills everything now. */
  private beforeQuit(event: ElectronEvent): void {
    if (this.quitPhase === 'done') return;
    event.preventDefault();
    if (this.quitPhase === 'stopping') {
      this.log('quit again: killing every process now');
      this.killRequested = true;
      void this.host?.kill();
      return;
    }
    this.quitPhase = 'stopping';
    this.log('quitting: stopping the stack gracefully');
    void this.shutdown().finally(() => {
      this.quitPhase = 'done';
      app.quit();
    });
  }

  private async shutdown(): Promise<void> {
    try {
      // An open under way sees the quit at its next step and stops there; what it started is stopped next.
      await this.opening;
      if (this.killRequested) await this.host?.kill();
      await this.closeStack();
    } catch (error) {
      this.log(`stopping the stack failed: ${(error as Error).message}`);
    }
    this.sessions?.dispose();
    this.tray?.destroy();
    this.tray = null;
  }

  private openWindow(): void {
    const window = createMainWindow({ preload: PRELOAD_FILE, placement: this.prefs.get('window') });
    this.window = window;
    const save = () => {
      if (window.isDestroyed()) return;
      const maximized = window.isMaximized();
      this.prefs.set('window', { bounds: maximized ? this.prefs.get('window').bounds : window.getNormalBounds(), maximized });
    };
    window.on('close', save);
    window.on('closed', () => {
      if (this.window === window) this.window = null;
    });
  }

  private showWindow(): void {
    if (!this.window || this.window.isDestroyed()) {
      if (this.host) this.openWindow();
      return;
    }
    if (this.window.isMinimized()) this.window.restore();
    this.window.show();
    this.window.focus();
  }

  /** No stack runs: offer to open one or start from the demo, until one runs or the person quits. One at a time. */
  private welcome(): Promise<void> {
    this.welcoming ??= this.askWhatToOpen().finally(() => (this.welcoming = null));
    return this.welcoming;
  }

  private async askWhatToOpen(): Promise<void> {
    while (!this.host && this.quitPhase === 'running') {
      const { response } = await dialog.showMessageBox({
        type: 'question',
        title: 'Switchyard',
        message: 'Open a stack to run',
        detail: 'Choose a folder with a switchyard.yaml, or start a new stack from the demo (a static site and four API workers behind a proxy).',
        buttons: ['Open Stack…', 'New Stack from Demo…', 'Quit'],
        defaultId: 0,
        cancelId: 2,
      });
      if (response === 2) {
        app.quit();
        return;
      }
      // A stack opened meanwhile (a second launch, the Dock) answers the question too.
      if (this.host) return;
      if (response === 0) await this.chooseStack();
      else await this.newStackFromDemo();
    }
  }

  private async chooseStack(): Promise<boolean> {
    const result = await dialog.showOpenDialog({
      title: 'Open Stack',
      buttonLabel: 'Open',
      // Windows and Linux cannot offer files and folders in one dialog: there, the stack file is picked.
      properties: this.platform === 'darwin' ? ['openFile', 'openDirectory'] : ['openFile'],
      filters: [{ name: 'Stack files', extensions: ['yaml', 'yml'] }],
    });
    const chosen = result.filePaths[0];
    return !result.canceled && chosen !== undefined ? this.openStack(chosen) : false;
  }

  private async newStackFromDemo(): Promise<boolean> {
    const result = await dialog.showOpenDialog({
      title: 'New Stack from Demo: choose an empty folder',
      buttonLabel: 'Create Here',
      properties: ['openDirectory', 'createDirectory', 'promptToCreate'],
    });
    const target = result.filePaths[0];
    if (result.canceled || target === undefined) return false;
    try {
      const file = await createStackFromTemplate({ templateDir: DEMO_TEMPLATE_DIR, targetDir: target });
      return await this.openStack(file);
    } catch (error) {
      this.showError('Could not create the stack', (error as Error).message);
      return false;
    }
  }

  private editStackFile(): void {
    const file = this.host?.file;
    if (!file) return;
    // A running editor (VS Code, Sublime, a JetBrains IDE…) or $VISUAL/$EDITOR; else the system's default app.
    launchEditor(file, (_file, problem) => {
      this.log(`could not open an editor (${problem ?? 'unknown'}); opening with the system's default app`);
      void shell.openPath(file);
    });
  }

  /** Starts, stops or reloads (rolling) every app, static site and the proxy. */
  private async eachTarget(action: 'start' | 'stop' | 'reload'): Promise<void> {
    const host = this.host;
    if (!host || this.opening) return;
    const spec = host.stack.spec;
    const apps = [...spec.statics.map((site) => site.name), ...spec.apps.map((entry) => entry.name)];
    // A reload renews the workers behind a steady proxy; start and stop cover the proxy too.
    const targets = action === 'reload' || !spec.proxy ? apps : ['proxy', ...apps];
    const results = await Promise.allSettled(targets.map((target) => host.hub.api[action](target)));
    const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [`${targets[i]}: ${(result.reason as Error).message}`] : []));
    if (failures.length > 0) this.notify(`${action} failed for ${failures.length} of ${targets.length}`, failures.join('\n'));
  }

  private setTheme(theme: ThemeSource): void {
    nativeTheme.themeSource = theme;
    this.prefs.set('theme', theme);
    this.refresh();
  }

  private proxyUrl(): string | null {
    const proxy = this.host?.stack.spec.proxy;
    if (!proxy) return null;
    const { host, port } = proxy.listen;
    const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    return `http://${shown}:${port}/`;
  }

  private notify(title: string, body: string): void {
    this.log(`${title}: ${body}`);
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title, body });
    // Held until it is dismissed, or its click handler could be collected with it.
    this.notifications.add(notification);
    const release = () => this.notifications.delete(notification);
    notification.on('click', () => {
      release();
      this.showWindow();
    });
    notification.on('close', release);
    notification.show();
  }

  private updateSummary(): void {
    const host = this.host;
    const next = host ? summarizeStack(host.stack.processes()) : null;
    if (next?.label === this.summary?.label && next?.state === this.summary?.state) return;
    this.summary = next;
    this.refresh();
  }

  /** The menus' view of the shell. */
  menuState(): MenuState {
    const host = this.host;
    return {
      platform: this.platform,
      stack: host ? { name: host.stack.spec.name, file: host.file, proxyUrl: this.proxyUrl() } : null,
      summary: this.summary,
      recent: this.prefs.get('recentStacks'),
      theme: this.prefs.get('theme'),
      busy: this.opening !== null,
    };
  }

  /** Rebuilds the menus and the tray from the current state. */
  private refresh(): void {
    const state = this.menuState();
    Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenu(state, this.actions)));
    if (this.tray) {
      this.tray.setImage(this.trayIcon());
      this.tray.setToolTip(trayTooltip(state));
      this.tray.setContextMenu(Menu.buildFromTemplate(trayMenu(state, this.actions)));
    }
    this.window?.setTitle(state.stack ? `${state.stack.name} — Switchyard` : 'Switchyard');
  }

  private trayIcon() {
    return nativeImage.createFromPath(path.join(ASSETS_DIR, `tray-${this.summary?.state ?? 'stopped'}.png`));
  }
}
