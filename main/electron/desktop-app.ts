// The desktop app's lifecycle: one instance, one hosted stack at a time, a window on its dashboard,
// a tray icon with its state, native menus, and a quit that stops the stack gracefully before the
// app exits. Switching stacks is the core's StackSwitcher and what the tray says its TrayPresenter;
// this file only wires them to Electron.

import path from 'node:path';
import { app, Menu, nativeTheme, shell, type Event as ElectronEvent } from 'electron';
import type Store from 'electron-store';
import { DESKTOP_READY_MARKER } from '../../shared/desktop.ts';
import type { PathResolution } from '../core/env/login-shell.ts';
import { DisposableStore, type Disposable } from '../core/events.ts';
import { LoginEnvironment } from '../core/host/login-environment.ts';
import type { StackHost } from '../core/host/stack-host.ts';
import { StackSwitcher, type HostSettings, type SwitchOutcome } from '../core/host/stack-switcher.ts';
import { TrayPresenter } from '../core/host/tray-presenter.ts';
import type { NodeRuntime } from '../core/process/node-runtime.ts';
import { forgetMissing, rememberStack } from '../core/projects/projects.ts';
import { AppPhases } from './app-phase.ts';
import { serveRenderer } from './app-protocol.ts';
import { acceptSessions } from './bridge.ts';
import { showError, Welcome } from './dialogs.ts';
import { openInEditor } from './editor.ts';
import { applicationMenu, proxyUrl, type MenuState, type ShellActions } from './menus.ts';
import { Notifier } from './notifier.ts';
import { TrayView } from './tray-view.ts';
import { PRELOAD_FILE, RENDERER_DIR } from './paths.ts';
import { openPreferences, type Preferences, type ThemeSource } from './preferences.ts';
import { MainWindow } from './main-window.ts';
import { openExternally, refusePermissions } from './window.ts';

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

export class DesktopApp {
  private readonly options: DesktopAppOptions;
  private readonly platform: NodeJS.Platform;
  private readonly log: (line: string) => void;
  private readonly phase = new AppPhases();
  private readonly switcher: StackSwitcher;
  private readonly presenter = new TrayPresenter();
  private readonly notifier = new Notifier(() => this.showWindow());
  private readonly subscriptions = new DisposableStore();
  private prefs!: Store<Preferences>;
  private readonly window = new MainWindow(PRELOAD_FILE, { get: () => this.prefs.get('window'), set: (placement) => this.prefs.set('window', placement) });
  private readonly welcome: Welcome;
  private tray: TrayView | null = null;
  private sessions: Disposable | null = null;
  /** The latest open the system asked for (a second launch, a file opened from the Finder) while it could not run yet. */
  private requested: string | null = null;
  private readonly loginEnvironment: LoginEnvironment;
  readonly actions: ShellActions;

  constructor(options: DesktopAppOptions) {
    this.options = options;
    this.platform = options.platform ?? process.platform;
    this.log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.loginEnvironment = new LoginEnvironment(options.resolvePath, this.log);
    this.welcome = new Welcome({
      platform: this.platform,
      hasStack: () => this.switcher.current !== null,
      accepting: () => this.phase.current === 'running',
      open: (target) => this.openStack(target),
      quit: () => app.quit(),
    });
    this.switcher = new StackSwitcher({ settings: () => this.hostSettings(), stopTimeoutMs: options.stopTimeoutMs, log: this.log });
    this.subscriptions.add(this.switcher.onHosted((host) => this.presenter.follow(host.stack)));
    this.subscriptions.add(this.switcher.onStarted((host) => this.started(host)));
    this.subscriptions.add(this.switcher.onStopping(() => this.presenter.unfollow()));
    this.subscriptions.add(this.switcher.onClosed(() => this.presenter.clear()));
    this.subscriptions.add(this.switcher.onProblem((problem) => showError(problem.title, problem.detail)));
    this.subscriptions.add(this.presenter.onSummary(() => this.refresh()));
    this.subscriptions.add(
      this.presenter.onNotice((notice) => {
        this.log(`${notice.title}: ${notice.body}`);
        this.notifier.show(notice);
      }),
    );
    this.actions = {
      showWindow: () => this.showWindow(),
      openStack: () => void this.welcome.chooseStack(),
      openRecent: (file) => void this.openStack(file),
      clearRecent: () => {
        this.prefs.set('recentStacks', []);
        this.refresh();
      },
      newStackFromDemo: () => void this.welcome.newStackFromDemo(),
      editStackFile: () => void this.editStackFile(),
      revealStackFile: () => {
        const file = this.switcher.current?.file;
        if (file) shell.showItemInFolder(file);
      },
      openProxyInBrowser: () => {
        const url = this.menuState().stack?.proxyUrl;
        if (url) openExternally(url);
      },
      openDashboardInBrowser: () => {
        const url = this.switcher.current?.server.dashboardUrl;
        if (url) openExternally(url);
      },
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
      if (this.platform !== 'darwin' && this.phase.current === 'running') app.quit();
    });
    app.on('activate', () => this.showWindow());
    app.on('before-quit', (event) => this.beforeQuit(event));

    // Resolving the login shell's PATH takes a shell's start-up: begin at once, wait only when spawning.
    void this.loginEnvironment.path();
    await app.whenReady();
    // Quit before launch was done: nothing to set up. From here to the open, nothing else can run.
    if (!this.phase.moveTo('running')) return;
    const opened = openPreferences({ cwd: this.options.preferencesDir ?? app.getPath('userData'), projectVersion: app.getVersion() });
    this.prefs = opened.store;
    if (opened.movedAside) this.log(`preferences were unreadable; kept them in ${opened.movedAside} and started from the defaults`);
    this.prefs.set('recentStacks', forgetMissing(this.prefs.get('recentStacks')));
    nativeTheme.themeSource = this.prefs.get('theme');
    refusePermissions();
    serveRenderer(RENDERER_DIR);
    this.sessions = acceptSessions({
      window: () => this.window.contents,
      hub: () => this.switcher.current?.hub ?? null,
      onRefused: (reason) => this.log(`refused a session from ${reason}`),
    });
    this.tray = new TrayView(() => this.showWindow());
    this.refresh();

    const asked = this.requested;
    this.requested = null;
    const target = asked ?? stackArgument(this.options.argv, app.isPackaged) ?? this.prefs.get('recentStacks')[0]?.file ?? null;
    if (!(target && (await this.openStack(target)))) await this.welcome.ask();
    const host = this.switcher.current;
    if (host) this.log(`${READY_MARKER} (stack ${host.stack.spec.name}, control ${host.server.url})`);
  }

  /**
   * Opens `target` (a folder or a stack file) in place of the current stack. One opening at a time:
   * another asked for meanwhile is refused (false); the menus offer none while one is under way.
   */
  async openStack(target: string): Promise<boolean> {
    if (this.phase.current !== 'running' || this.switcher.busy) return false;
    const opening = this.switcher.open(target);
    this.refresh();
    const outcome = await opening;
    this.refresh();
    if (this.phase.current === 'running') this.afterOpen(outcome);
    return outcome === 'opened';
  }

  private afterOpen(outcome: SwitchOutcome): void {
    if (outcome === 'lost') {
      // The page's session ended with the stack: reloaded, it shows that none is open instead of the
      // last figures. With nothing to show, ask what to open (as at launch).
      this.window.reload();
      void this.welcome.ask();
    }
    const next = this.requested;
    this.requested = null;
    if (next) void this.openStack(next);
  }

  /** An open the system asked for: run now, or after the launch or the open under way (the latest one wins). */
  private requestOpen(target: string): void {
    if (this.phase.current === 'running' && !this.switcher.busy) void this.openStack(target);
    else this.requested = target;
  }

  /** A stack runs: remembered (a launch reopens only a stack that could start) and shown in a new session. */
  private started(host: StackHost): void {
    this.prefs.set('recentStacks', rememberStack(this.prefs.get('recentStacks'), { file: host.file, name: host.stack.spec.name, openedAt: Date.now() }));
    // A new stack needs a new session: the page reloads and its preload connects again.
    this.window.reloadOrOpen();
  }

  private async hostSettings(): Promise<HostSettings> {
    return {
      runtime: ELECTRON_NODE_RUNTIME,
      baseEnv: await this.loginEnvironment.env(),
      retainedLines: this.prefs.get('logRetention'),
      dashboardDir: RENDERER_DIR,
      // `switchyard down` against the app's stack ends the app, as it ends `switchyard up`.
      onShutdownRequest: () => app.quit(),
      hub: { environment: { host: 'desktop', path: await this.loginEnvironment.path() } },
    };
  }

  /** The first quit stops the stack and quits when it is down; a second one kills everything now. */
  private beforeQuit(event: ElectronEvent): void {
    if (this.phase.current === 'quit') return;
    event.preventDefault();
    if (this.phase.moveTo('killing')) {
      this.log('quit again: killing every process now');
      void this.switcher.kill();
    } else if (this.phase.moveTo('stopping')) {
      this.log('quitting: stopping the stack gracefully');
      void this.shutdown().finally(() => {
        this.phase.moveTo('quit');
        app.quit();
      });
    }
  }

  private async shutdown(): Promise<void> {
    try {
      // An open under way sees the close at its next step and stops there; what it started is stopped next.
      await this.switcher.close();
    } catch (error) {
      this.log(`stopping the stack failed: ${(error as Error).message}`);
    }
    this.subscriptions.dispose();
    this.presenter.dispose();
    this.sessions?.dispose();
    this.tray?.dispose();
    this.tray = null;
  }

  private async editStackFile(): Promise<void> {
    const file = this.switcher.current?.file;
    if (!file) return;
    openInEditor(file, await this.loginEnvironment.env(), (problem) => {
      this.log(`could not open an editor (${problem}); opening with the system's default app`);
      void shell.openPath(file);
    });
  }

  /** Brings the window forward; a closed one reopens only when there is a stack to show. */
  private showWindow(): void {
    this.window.show(this.switcher.current !== null);
  }

  /** Starts, stops or reloads (rolling) every app, static site and the proxy. */
  private async eachTarget(action: 'start' | 'stop' | 'reload'): Promise<void> {
    const host = this.switcher.current;
    if (host && !this.switcher.busy) await this.presenter.actOnAll(host.hub.api, host.stack.spec, action);
  }

  private setTheme(theme: ThemeSource): void {
    nativeTheme.themeSource = theme;
    this.prefs.set('theme', theme);
    this.refresh();
  }

  /** The menus' view of the shell. */
  menuState(): MenuState {
    const host = this.switcher.current;
    return {
      platform: this.platform,
      stack: host ? { name: host.stack.spec.name, file: host.file, proxyUrl: proxyUrl(host.stack.spec) } : null,
      summary: this.presenter.summary,
      recent: this.prefs.get('recentStacks'),
      theme: this.prefs.get('theme'),
      busy: this.switcher.busy,
    };
  }

  /** Rebuilds the menus and the tray from the current state. */
  private refresh(): void {
    const state = this.menuState();
    Menu.setApplicationMenu(Menu.buildFromTemplate(applicationMenu(state, this.actions)));
    this.tray?.draw(state, this.actions);
    this.window.setTitle(state.stack ? `${state.stack.name} — Switchyard` : 'Switchyard');
  }
}
