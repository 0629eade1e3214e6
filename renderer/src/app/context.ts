// What every view may reach without props: the client, the way to run an action (confirmation,
// errors shown as toasts), and the log view's settings, which outlive switching views.

import { createContext, useContext } from 'react';
import type { DashboardClient } from '../client/dashboard-client.ts';
import type { LogFilter, LogViewCache } from '../state/log-filter.ts';

/** A question asked before a destructive action. */
export interface Confirmation {
  title: string;
  body: string;
  /** The confirm button's label, e.g. `Kill api-2`. */
  confirmLabel: string;
  /** A gentler way to the same end, offered as its own button: choosing it cancels this action and runs that one. */
  alternative?: { label: string; choose: () => void };
}

export interface Actions {
  /**
   * Runs a call: asks first when `confirm` is given, shows a failure as a toast titled `label`.
   * Resolves to the result, or undefined when cancelled or failed.
   */
  run<T>(label: string, call: () => Promise<T>, confirm?: Confirmation): Promise<T | undefined>;
  /** A short message in the corner. */
  notify(message: string, kind?: 'info' | 'error'): void;
}

export const ClientContext = createContext<DashboardClient | null>(null);
export const ActionsContext = createContext<Actions | null>(null);

export function useClient(): DashboardClient {
  const client = useContext(ClientContext);
  if (!client) throw new Error('useClient outside a ClientContext provider');
  return client;
}

export function useActions(): Actions {
  const actions = useContext(ActionsContext);
  if (!actions) throw new Error('useActions outside an ActionsContext provider');
  return actions;
}

/** The log view's state, kept by the app so that it survives a trip to another view. */
export interface LogSettings {
  filter: LogFilter;
  setFilter(update: (filter: LogFilter) => LogFilter): void;
  follow: boolean;
  setFollow(follow: boolean): void;
  /** Bumped by the `/` shortcut: the search box focuses itself when it changes. */
  focusSearch: number;
  requestSearchFocus(): void;
  cache: LogViewCache;
}

export const LogSettingsContext = createContext<LogSettings | null>(null);

export function useLogSettings(): LogSettings {
  const settings = useContext(LogSettingsContext);
  if (!settings) throw new Error('useLogSettings outside a LogSettingsContext provider');
  return settings;
}

/** The views of the left nav, in shortcut order. */
export const VIEWS = [
  { id: 'overview', label: 'Overview', key: '1' },
  { id: 'logs', label: 'Logs', key: '2' },
  { id: 'requests', label: 'Requests', key: '3' },
  { id: 'metrics', label: 'Metrics', key: '4' },
  { id: 'load', label: 'Load', key: '5' },
  { id: 'stack', label: 'Stack', key: '6' },
  { id: 'diagnostics', label: 'Diagnostics', key: '7' },
] as const;

export type ViewId = (typeof VIEWS)[number]['id'];
