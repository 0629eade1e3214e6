// The contexts every view relies on, with the two overlays they drive: the confirmation dialog
// of destructive actions and the toasts that report failed calls.

import { useCallback, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { DashboardClient } from '../client/dashboard-client.ts';
import { StoreContext } from '../state/hooks.ts';
import type { LogFilter } from '../state/log-filter.ts';
import { LogViewCache } from '../state/log-filter.ts';
import type { DashboardStore } from '../state/store.ts';
import { ConfirmDialog } from '../ui/ConfirmDialog.tsx';
import type { Toast } from '../ui/Toasts.tsx';
import { Toasts } from '../ui/Toasts.tsx';
import type { Actions, Confirmation, LogSettings } from './context.ts';
import { ActionsContext, ClientContext, LogSettingsContext } from './context.ts';

const TOAST_MS = { info: 3000, error: 10_000 };

export function DashboardProviders(props: { client: DashboardClient; store: DashboardStore; children: ReactNode }) {
  const { client, store } = props;
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [asking, setAsking] = useState<{ confirmation: Confirmation; answer: (yes: boolean) => void } | null>(null);
  const nextToast = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((toast) => toast.id !== id)), []);
  const notify = useCallback(
    (message: string, kind: 'info' | 'error' = 'info') => {
      const id = nextToast.current++;
      setToasts((all) => [...all, { id, message, kind }].slice(-5));
      setTimeout(() => dismiss(id), TOAST_MS[kind]);
    },
    [dismiss],
  );
  const ask = useCallback(
    (confirmation: Confirmation) =>
      new Promise<boolean>((resolve) => {
        setAsking({ confirmation, answer: resolve });
      }),
    [],
  );
  const run = useCallback(
    async <T,>(label: string, call: () => Promise<T>, confirmation?: Confirmation): Promise<T | undefined> => {
      if (confirmation && !(await ask(confirmation))) return undefined;
      try {
        return await call();
      } catch (error) {
        notify(`${label} failed: ${error instanceof Error ? error.message : String(error)}`, 'error');
        return undefined;
      }
    },
    [ask, notify],
  );
  const actions = useMemo<Actions>(() => ({ run, notify }), [run, notify]);

  const [filter, setFilterState] = useState<LogFilter>({ source: null, search: '', stderrOnly: false });
  const [follow, setFollow] = useState(true);
  const [focusSearch, setFocusSearch] = useState(0);
  const cache = useMemo(() => new LogViewCache(store.getState().logs), [store]);
  const logSettings = useMemo<LogSettings>(
    () => ({
      filter,
      setFilter: (update) => setFilterState(update),
      follow,
      setFollow,
      focusSearch,
      requestSearchFocus: () => setFocusSearch((count) => count + 1),
      cache,
    }),
    [filter, follow, focusSearch, cache],
  );

  const answer = (yes: boolean) => {
    asking?.answer(yes);
    setAsking(null);
  };

  return (
    <ClientContext.Provider value={client}>
      <StoreContext.Provider value={store}>
        <ActionsContext.Provider value={actions}>
          <LogSettingsContext.Provider value={logSettings}>
            {props.children}
            {asking && <ConfirmDialog confirmation={asking.confirmation} onAnswer={answer} />}
            <Toasts toasts={toasts} onDismiss={dismiss} />
          </LogSettingsContext.Provider>
        </ActionsContext.Provider>
      </StoreContext.Provider>
    </ClientContext.Provider>
  );
}
