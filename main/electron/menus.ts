// The native menus: the application menu and the tray's. Both are built from the shell's state as
// plain templates, so what they offer in each state is tested without a display.

import type { MenuItemConstructorOptions } from 'electron';
import type { StackSpec } from '../../shared/stack.ts';
import type { StackSummary } from '../core/health/stack-state.ts';
import type { RecentStack } from '../core/projects/projects.ts';
import type { ThemeSource } from './preferences.ts';

/** What the menus can ask the shell to do. */
export interface ShellActions {
  showWindow(): void;
  openStack(): void;
  openRecent(file: string): void;
  clearRecent(): void;
  newStackFromDemo(): void;
  editStackFile(): void;
  revealStackFile(): void;
  openProxyInBrowser(): void;
  openDashboardInBrowser(): void;
  startAll(): void;
  stopAll(): void;
  reloadAll(): void;
  setTheme(theme: ThemeSource): void;
  quit(): void;
}

/** What the menus show. */
export interface MenuState {
  platform: NodeJS.Platform;
  stack: { name: string; file: string; proxyUrl: string | null } | null;
  summary: StackSummary | null;
  recent: readonly RecentStack[];
  theme: ThemeSource;
  /** The shell is opening, stopping or switching stacks: stack actions wait. */
  busy: boolean;
}

const THEMES: readonly [ThemeSource, string][] = [
  ['system', 'Match System'],
  ['light', 'Light'],
  ['dark', 'Dark'],
];

function stackItems(state: MenuState, actions: ShellActions): MenuItemConstructorOptions[] {
  const summary = state.summary;
  const live = state.stack !== null && !state.busy;
  const anyRunning = summary !== null && summary.state !== 'stopped';
  return [
    { label: 'Start All', enabled: live, click: () => actions.startAll() },
    { label: 'Stop All', enabled: live && anyRunning, click: () => actions.stopAll() },
    { label: 'Reload All (rolling)', accelerator: 'CmdOrCtrl+Shift+R', enabled: live && anyRunning, click: () => actions.reloadAll() },
    { type: 'separator' },
    { label: 'Open Proxy in Browser', enabled: live && state.stack?.proxyUrl != null, click: () => actions.openProxyInBrowser() },
    { label: 'Open Dashboard in Browser', enabled: live, click: () => actions.openDashboardInBrowser() },
  ];
}

function recentItems(state: MenuState, actions: ShellActions): MenuItemConstructorOptions[] {
  if (state.recent.length === 0) return [{ label: 'No Recent Stacks', enabled: false }];
  return [
    ...state.recent.map((entry): MenuItemConstructorOptions => ({ label: `${entry.name} — ${entry.file}`, click: () => actions.openRecent(entry.file) })),
    { type: 'separator' },
    { label: 'Clear Recent', click: () => actions.clearRecent() },
  ];
}

/** The application menu (the menu bar on macOS, the window's menu elsewhere). */
export function applicationMenu(state: MenuState, actions: ShellActions): MenuItemConstructorOptions[] {
  const mac = state.platform === 'darwin';
  const hasStack = state.stack !== null;
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open Stack…', accelerator: 'CmdOrCtrl+O', click: () => actions.openStack() },
      { label: 'Open Recent', submenu: recentItems(state, actions) },
      { label: 'New Stack from Demo…', accelerator: 'CmdOrCtrl+N', click: () => actions.newStackFromDemo() },
      { type: 'separator' },
      { label: 'Edit Stack File', accelerator: 'CmdOrCtrl+E', enabled: hasStack, click: () => actions.editStackFile() },
      { label: mac ? 'Reveal in Finder' : 'Show in Folder', enabled: hasStack, click: () => actions.revealStackFile() },
      ...(mac ? [] : [{ type: 'separator' } as const, { label: 'Quit', accelerator: 'Ctrl+Q', click: () => actions.quit() }]),
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      {
        label: 'Theme',
        submenu: THEMES.map(([theme, label]): MenuItemConstructorOptions => ({ label, type: 'radio', checked: state.theme === theme, click: () => actions.setTheme(theme) })),
      },
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
    ],
  };
  return [
    ...(mac ? [{ label: 'Switchyard', submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, { type: 'separator' }, { label: 'Quit Switchyard', accelerator: 'Cmd+Q', click: () => actions.quit() }] } satisfies MenuItemConstructorOptions] : []),
    file,
    { role: 'editMenu' },
    view,
    { label: 'Stack', submenu: stackItems(state, actions) },
    { role: 'windowMenu' },
  ];
}

/** The tray's menu: the stack's state first, then what can be done about it. */
export function trayMenu(state: MenuState, actions: ShellActions): MenuItemConstructorOptions[] {
  const title = state.stack ? `${state.stack.name}: ${state.summary?.label ?? 'opening…'}` : 'No stack open';
  return [
    { label: title, enabled: false },
    { type: 'separator' },
    { label: 'Show Switchyard', click: () => actions.showWindow() },
    ...stackItems(state, actions),
    { type: 'separator' },
    { label: 'Open Stack…', click: () => actions.openStack() },
    { label: 'Open Recent', submenu: recentItems(state, actions) },
    { type: 'separator' },
    { label: 'Quit Switchyard', click: () => actions.quit() },
  ];
}

/** The tray's tooltip. */
export function trayTooltip(state: MenuState): string {
  return state.stack ? `Switchyard: ${state.stack.name}, ${state.summary?.label ?? 'opening…'}` : 'Switchyard: no stack open';
}

/** Where a browser reaches the stack's proxy (a wildcard listen address is reached on loopback), or null without one. */
export function proxyUrl(spec: StackSpec): string | null {
  if (!spec.proxy) return null;
  const { host, port } = spec.proxy.listen;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}/`;
}
