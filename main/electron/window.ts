// The app's one window: sandboxed, isolated, without Node, locked to the app's own pages. Links to
// the web open in the system browser; anything else the page tries to open or navigate to is refused.

import { BrowserWindow, session, shell, type BrowserWindowConstructorOptions, type Rectangle, type WebContents } from 'electron';
import { APP_URL, isAppUrl } from './app-protocol.ts';

/** Saved window placement (electron-store keeps it between runs). */
export interface WindowPlacement {
  bounds: Partial<Rectangle> & { width: number; height: number };
  maximized: boolean;
}

/** The security-relevant options, kept in one place so a test can hold them to account. */
export function windowOptions(preload: string, placement: WindowPlacement): BrowserWindowConstructorOptions {
  return {
    ...placement.bounds,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Switchyard',
    backgroundColor: '#111418',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/** Opens the window on the dashboard. */
export function createMainWindow(options: { preload: string; placement: WindowPlacement }): BrowserWindow {
  const window = new BrowserWindow(windowOptions(options.preload, options.placement));
  lockDown(window.webContents);
  if (options.placement.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  void window.loadURL(APP_URL);
  return window;
}

/** Only http(s) links leave the app, to the system browser. */
export function openExternally(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  void shell.openExternal(parsed.href);
  return true;
}

/** Navigation stays on the app's pages; new windows, webviews and permissions are refused. */
export function lockDown(contents: WebContents): void {
  contents.on('will-navigate', (event, url) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    openExternally(url);
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternally(url);
    return { action: 'deny' };
  });
}

/** The one permission the page uses: writing text to the clipboard (the Copy buttons). */
const ALLOWED_PERMISSION = 'clipboard-sanitized-write';

/** The page needs no camera, notification or any other permission; the app's page may copy text. */
export function refusePermissions(): void {
  session.defaultSession.setPermissionRequestHandler((contents, permission, callback) => callback(permission === ALLOWED_PERMISSION && isAppUrl(contents.getURL())));
  session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) => permission === ALLOWED_PERMISSION && isAppUrl(requestingOrigin));
}
