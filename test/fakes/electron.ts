// The one fake of the `electron` module (vitest aliases `electron` to this file). It records what
// the shell asks of Electron and lets a test play the part of the app, the page and the person.
// Only what cannot run here is faked: ports, files, processes and the stack stay real.

import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort as NodeMessagePort } from 'node:worker_threads';

/** An Electron event a handler may cancel. */
export class FakeEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** A log of what happened, in order, across the fake (for lifecycle ordering). */
export const timeline: string[] = [];

class FakeApp extends EventEmitter {
  isPackaged = false;
  singleInstanceLock = true;
  userData = '';
  /** Quit requests, and whether one went through (before-quit not prevented). */
  quitRequests = 0;
  quitted = false;
  private ready!: () => void;
  private readyPromise!: Promise<void>;

  constructor() {
    super();
    this.reset();
  }

  reset(): void {
    this.removeAllListeners();
    this.isPackaged = false;
    this.singleInstanceLock = true;
    this.userData = mkdtempSync(path.join(os.tmpdir(), 'sy-electron-user-'));
    this.quitRequests = 0;
    this.quitted = false;
    this.readyPromise = new Promise((resolve) => (this.ready = resolve));
  }

  /** Test control: the app finished launching. */
  fireReady(): void {
    this.ready();
  }

  whenReady(): Promise<void> {
    return this.readyPromise;
  }

  requestSingleInstanceLock(): boolean {
    return this.singleInstanceLock;
  }

  quit(): void {
    this.quitRequests++;
    const event = new FakeEvent();
    this.emit('before-quit', event);
    if (event.defaultPrevented) {
      timeline.push('quit deferred');
      return;
    }
    timeline.push('app quit');
    this.quitted = true;
    this.emit('will-quit', new FakeEvent());
  }

  exit(code = 0): void {
    timeline.push(`app exit ${code}`);
    this.quitted = true;
  }

  getPath(_name: string): string {
    return this.userData;
  }

  getVersion(): string {
    return '0.1.0';
  }
}

export const app = new FakeApp();

export class FakeWebFrame {
  url: string;
  constructor(url = '') {
    this.url = url;
  }
}

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame = new FakeWebFrame();
  windowOpenHandler: ((details: { url: string }) => { action: 'allow' | 'deny' }) | null = null;
  reloads = 0;
  destroyed = false;

  getURL(): string {
    return this.mainFrame.url;
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'allow' | 'deny' }): void {
    this.windowOpenHandler = handler;
  }

  reload(): void {
    this.reloads++;
    timeline.push('window reload');
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Test control: the page tries to go to `url`; returns whether the shell let it. */
  navigate(url: string, event: 'will-navigate' | 'will-redirect' = 'will-navigate'): boolean {
    const attempt = new FakeEvent();
    this.emit(event, attempt, url);
    return !attempt.defaultPrevented;
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly instances: BrowserWindow[] = [];
  readonly options: Record<string, unknown>;
  readonly webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  visible = false;
  maximized = false;
  minimized = false;
  destroyed = false;
  title = '';
  private bounds: { x: number; y: number; width: number; height: number };

  constructor(options: Record<string, unknown> = {}) {
    super();
    this.options = options;
    this.bounds = { x: (options.x as number) ?? 0, y: (options.y as number) ?? 0, width: (options.width as number) ?? 800, height: (options.height as number) ?? 600 };
    BrowserWindow.instances.push(this);
    timeline.push('window created');
  }

  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.mainFrame.url = url;
    queueMicrotask(() => this.emit('ready-to-show'));
    return Promise.resolve();
  }

  show(): void {
    this.visible = true;
  }
  focus(): void {}
  restore(): void {
    this.minimized = false;
  }
  maximize(): void {
    this.maximized = true;
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setTitle(title: string): void {
    this.title = title;
  }
  getNormalBounds() {
    return { ...this.bounds };
  }
  setBounds(bounds: Partial<typeof this.bounds>): void {
    this.bounds = { ...this.bounds, ...bounds };
  }

  /** The person closes the window. */
  close(): void {
    const event = new FakeEvent();
    this.emit('close', event);
    if (event.defaultPrevented) return;
    this.destroyed = true;
    this.webContents.destroyed = true;
    this.emit('closed');
    timeline.push('window closed');
    if (BrowserWindow.instances.every((window) => window.destroyed)) app.emit('window-all-closed');
  }
}

/** Electron's MessagePortMain over a real node:worker_threads port: structured clone, `{ data, ports }` events, nothing delivered before start(). */
export class MessagePortMain extends EventEmitter {
  private readonly port: NodeMessagePort;
  private started = false;

  constructor(port: NodeMessagePort) {
    super();
    this.port = port;
    port.on('close', () => this.emit('close'));
  }

  postMessage(message: unknown): void {
    this.port.postMessage(message);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.port.on('message', (data: unknown) => this.emit('message', { data, ports: [] }));
  }

  close(): void {
    this.port.close();
  }
}

/** A pair whose main-process end is a MessagePortMain and whose page end is a plain port (as the renderer's DOM port). */
export function portPair(): { main: MessagePortMain; page: NodeMessagePort } {
  const { port1, port2 } = new MessageChannel();
  return { main: new MessagePortMain(port1), page: port2 };
}

class FakeIpcMain extends EventEmitter {
  /** Test control: a frame of `sender` posts `channel` with `ports`, as ipcRenderer.postMessage does. */
  receive(channel: string, sender: FakeWebContents, options: { frame?: FakeWebFrame | null; ports?: MessagePortMain[] } = {}): void {
    const frame = options.frame === undefined ? sender.mainFrame : options.frame;
    this.emit(channel, { sender, senderFrame: frame, ports: options.ports ?? [], returnValue: undefined });
  }
}

export const ipcMain = new FakeIpcMain();

export interface FakeMenu {
  template: Record<string, unknown>[];
}

export const Menu = {
  applicationMenu: null as FakeMenu | null,
  buildFromTemplate(template: Record<string, unknown>[]): FakeMenu {
    return { template };
  },
  setApplicationMenu(menu: FakeMenu | null): void {
    Menu.applicationMenu = menu;
  },
};

export const nativeImage = {
  createFromPath(file: string) {
    return { path: file, isEmpty: () => !existsSync(file) };
  },
  createEmpty() {
    return { path: '', isEmpty: () => true };
  },
};

export class Tray extends EventEmitter {
  static readonly instances: Tray[] = [];
  image: { path: string };
  tooltip = '';
  contextMenu: FakeMenu | null = null;
  destroyed = false;

  constructor(image: { path: string }) {
    super();
    this.image = image;
    Tray.instances.push(this);
  }
  setImage(image: { path: string }): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: FakeMenu | null): void {
    this.contextMenu = menu;
  }
  destroy(): void {
    this.destroyed = true;
    timeline.push('tray destroyed');
  }
}

export class Notification extends EventEmitter {
  static readonly instances: Notification[] = [];
  static supported = true;
  readonly title: string;
  readonly body: string;
  shown = false;

  static isSupported(): boolean {
    return Notification.supported;
  }

  constructor(options: { title: string; body: string }) {
    super();
    this.title = options.title;
    this.body = options.body;
    Notification.instances.push(this);
  }
  show(): void {
    this.shown = true;
  }
}

export const shell = {
  opened: [] as string[],
  openedPaths: [] as string[],
  revealed: [] as string[],
  openExternal(url: string): Promise<void> {
    shell.opened.push(url);
    return Promise.resolve();
  },
  openPath(file: string): Promise<string> {
    shell.openedPaths.push(file);
    return Promise.resolve('');
  },
  showItemInFolder(file: string): void {
    shell.revealed.push(file);
  },
};

export const dialog = {
  /** Errors shown: by the synchronous showErrorBox, or by a message box of type 'error'. */
  errors: [] as { title: string; content: string }[],
  messageBoxes: [] as Record<string, unknown>[],
  /** Answers for the next message boxes (the index of the button pressed). */
  messageBoxAnswers: [] as number[],
  /** Answers for the next open dialogs. */
  openAnswers: [] as string[][],
  showErrorBox(title: string, content: string): void {
    dialog.errors.push({ title, content });
    timeline.push(`error box: ${title}`);
  },
  showMessageBox(options: Record<string, unknown>): Promise<{ response: number }> {
    // An error told without holding the main process: listed with the error boxes, answered OK.
    if (options.type === 'error') {
      dialog.errors.push({ title: String(options.title), content: String(options.detail) });
      timeline.push(`error box: ${String(options.title)}`);
      return Promise.resolve({ response: 0 });
    }
    dialog.messageBoxes.push(options);
    return Promise.resolve({ response: dialog.messageBoxAnswers.shift() ?? (options.cancelId as number) ?? 0 });
  },
  showOpenDialog(_options: Record<string, unknown>): Promise<{ canceled: boolean; filePaths: string[] }> {
    const answer = dialog.openAnswers.shift();
    return Promise.resolve(answer ? { canceled: false, filePaths: answer } : { canceled: true, filePaths: [] });
  },
};

export const protocol = {
  privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
  handlers: new Map<string, (request: { url: string }) => Promise<Response> | Response>(),
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void {
    protocol.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: { url: string }) => Promise<Response> | Response): void {
    protocol.handlers.set(scheme, handler);
  },
};

type PermissionRequestHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;

export const session = {
  defaultSession: {
    permissionRequestHandler: null as PermissionRequestHandler | null,
    permissionCheckHandler: null as ((...args: unknown[]) => boolean) | null,
    setPermissionRequestHandler(handler: PermissionRequestHandler): void {
      session.defaultSession.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void {
      session.defaultSession.permissionCheckHandler = handler;
    },
  },
};

export const nativeTheme = { themeSource: 'system' as 'system' | 'light' | 'dark' };

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(name: string, api: unknown): void {
    contextBridge.exposed.set(name, api);
  },
};

export const ipcRenderer = {
  posted: [] as { channel: string; message: unknown; transfer: unknown[] }[],
  postMessage(channel: string, message: unknown, transfer: unknown[] = []): void {
    ipcRenderer.posted.push({ channel, message, transfer });
  },
};

/** Back to a freshly launched app: no windows, no listeners, nothing recorded. */
export function resetElectronFake(): void {
  app.reset();
  timeline.length = 0;
  BrowserWindow.instances.length = 0;
  ipcMain.removeAllListeners();
  Menu.applicationMenu = null;
  Tray.instances.length = 0;
  Notification.instances.length = 0;
  Notification.supported = true;
  shell.opened.length = 0;
  shell.openedPaths.length = 0;
  shell.revealed.length = 0;
  dialog.errors.length = 0;
  dialog.messageBoxes.length = 0;
  dialog.messageBoxAnswers.length = 0;
  dialog.openAnswers.length = 0;
  protocol.privileged.length = 0;
  protocol.handlers.clear();
  session.defaultSession.permissionRequestHandler = null;
  session.defaultSession.permissionCheckHandler = null;
  nativeTheme.themeSource = 'system';
  contextBridge.exposed.clear();
  ipcRenderer.posted.length = 0;
}

export default { app, BrowserWindow, ipcMain, Menu, nativeImage, Tray, Notification, shell, dialog, protocol, session, nativeTheme, contextBridge, ipcRenderer };
