// Single-key shortcuts, as in Gmail or GitHub: they never fire while typing or with a modifier.

import { useEffect, useRef } from 'react';

/** Every shortcut, for the help dialog. */
export const SHORTCUTS: readonly { keys: string; action: string }[] = [
  { keys: '1 – 7', action: 'Overview, Logs, Requests, Metrics, Load, Stack, Diagnostics' },
  { keys: '/', action: 'Search the logs' },
  { keys: 'f', action: 'Follow the logs on or off' },
  { keys: 't', action: 'Dark or light theme' },
  { keys: '?', action: 'This list' },
  { keys: 'Esc', action: 'Close a dialog, leave a field' },
];

/** True when a key press is meant for a field, not for the page. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

/** Calls `handle` with the key of each shortcut-eligible key press; it returns true when it used it. */
export function useShortcuts(handle: (key: string) => boolean): void {
  const latest = useRef(handle);
  useEffect(() => {
    latest.current = handle;
  });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      // A dialog owns the keyboard while it is open (it handles its own Escape).
      if (document.querySelector('[aria-modal="true"]')) return;
      if (isTyping(event.target)) {
        if (event.key === 'Escape' && event.target instanceof HTMLElement) event.target.blur();
        return;
      }
      if (latest.current(event.key)) event.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
