// The tray icon: its image shows the stack's state, its tooltip and menu what the TrayPresenter
// says and what can be done about it.

import path from 'node:path';
import { Menu, nativeImage, Tray } from 'electron';
import type { Disposable } from '../core/events.ts';
import type { StackState } from '../core/health/stack-state.ts';
import { trayMenu, trayTooltip, type MenuState, type ShellActions } from './menus.ts';
import { ASSETS_DIR } from './paths.ts';

export class TrayView implements Disposable {
  private readonly tray: Tray;

  /** A click on the icon calls `onClick` (the shell shows its window). */
  constructor(onClick: () => void) {
    this.tray = new Tray(icon('stopped'));
    this.tray.on('click', onClick);
  }

  draw(state: MenuState, actions: ShellActions): void {
    this.tray.setImage(icon(state.summary?.state ?? 'stopped'));
    this.tray.setToolTip(trayTooltip(state));
    this.tray.setContextMenu(Menu.buildFromTemplate(trayMenu(state, actions)));
  }

  dispose(): void {
    this.tray.destroy();
  }
}

function icon(state: StackState) {
  return nativeImage.createFromPath(path.join(ASSETS_DIR, `tray-${state}.png`));
}
