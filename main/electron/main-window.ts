// The app's one window on the dashboard: opened when a stack runs, placed where the person left it,
// and reloaded for each new stack, since a new stack needs a new session and the page's preload
// connects once per load.

import type { BrowserWindow, WebContents } from 'electron';
import { createMainWindow, type WindowPlacement } from './window.ts';

/** Where the window's placement is kept between runs. */
export interface PlacementStore {
  get(): WindowPlacement;
  set(placement: WindowPlacement): void;
}

export class MainWindow {
  private readonly preload: string;
  private readonly placement: PlacementStore;
  private window: BrowserWindow | null = null;

  constructor(preload: string, placement: PlacementStore) {
    this.preload = preload;
    this.placement = placement;
  }

  /** The page of the window, while there is one: the only sender a session is accepted from. */
  get contents(): WebContents | null {
    return this.window?.webContents ?? null;
  }

  /** Brings the window forward; reopens a closed one only when `reopen` (there is something to show). */
  show(reopen: boolean): void {
    const window = this.live();
    if (!window) {
      if (reopen) this.create();
      return;
    }
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  /** A new session for the page: reloads it, or opens the window when it is closed. */
  reloadOrOpen(): void {
    const window = this.live();
    if (window) window.webContents.reload();
    else this.create();
  }

  /** Reloads the page, if the window is open. */
  reload(): void {
    this.live()?.webContents.reload();
  }

  setTitle(title: string): void {
    this.window?.setTitle(title);
  }

  private live(): BrowserWindow | null {
    return this.window && !this.window.isDestroyed() ? this.window : null;
  }

  private create(): void {
    const window = createMainWindow({ preload: this.preload, placement: this.placement.get() });
    this.window = window;
    const save = () => {
      if (window.isDestroyed()) return;
      const maximized = window.isMaximized();
      this.placement.set({ bounds: maximized ? this.placement.get().bounds : window.getNormalBounds(), maximized });
    };
    window.on('close', save);
    window.on('closed', () => {
      if (this.window === window) this.window = null;
    });
  }
}
