// A button that runs an action and stays disabled until it settles, so a double click never
// restarts twice.

import { useState } from 'react';
import type { ReactNode } from 'react';

export function ActionButton(props: {
  /** The accessible name, e.g. `Restart api-2`. */
  label: string;
  onRun: () => Promise<unknown>;
  children: ReactNode;
  danger?: boolean;
  disabled?: boolean;
  testId?: string;
}) {
  const [busy, setBusy] = useState(false);
  const click = async () => {
    setBusy(true);
    try {
      await props.onRun();
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      className={`action${props.danger ? ' danger-text' : ''}`}
      aria-label={props.label}
      title={props.label}
      aria-busy={busy || undefined}
      disabled={busy || props.disabled}
      onClick={() => void click()}
      data-testid={props.testId}
    >
      {props.children}
    </button>
  );
}
