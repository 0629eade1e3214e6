// Diagnostics are asked for, not pushed: fetched when the view opens and again on Refresh. A
// failed refresh keeps the last answer on screen beside the error.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { Diagnostics } from '../../../../shared/api.ts';
import { useClient } from '../../app/context.ts';

export interface DiagnosticsState {
  diagnostics: Diagnostics | null;
  /** Epoch milliseconds of the answer shown. */
  fetchedAt: number | null;
  loading: boolean;
  error: string | null;
}

export function useDiagnostics(): DiagnosticsState & { refresh: () => Promise<void> } {
  const { api } = useClient();
  const [state, setState] = useState<DiagnosticsState>({ diagnostics: null, fetchedAt: null, loading: true, error: null });
  // Only the latest request may write: an older answer arriving late, or one after the view closed, is dropped.
  const latest = useRef(0);

  const refresh = useCallback(async () => {
    const request = ++latest.current;
    setState((current) => ({ ...current, loading: true }));
    try {
      const diagnostics = await api.diagnostics();
      if (request === latest.current) setState({ diagnostics, fetchedAt: Date.now(), loading: false, error: null });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (request === latest.current) setState((current) => ({ ...current, loading: false, error: message }));
    }
  }, [api]);

  useEffect(() => {
    void refresh();
    return () => {
      latest.current++;
    };
  }, [refresh]);

  return { ...state, refresh };
}
