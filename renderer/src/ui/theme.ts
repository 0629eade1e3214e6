// Dark or light: the person's explicit choice (kept in localStorage) wins, else the system's
// prefers-color-scheme, followed live. The choice lands on <html data-theme>, where styles.css
// switches its variables. Inside the desktop app the theme is the app's (View › Theme sets the
// prefers-color-scheme the page sees), so the page keeps no choice of its own there: two places
// to choose would contradict each other.

import { useSyncExternalStore } from 'react';

export type Theme = 'dark' | 'light';

const STORAGE_KEY = 'switchyard.theme';
const listeners = new Set<() => void>();
/** Set inside the desktop app: the host chooses, through prefers-color-scheme. */
let chosenByHost = false;

function stored(): Theme | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'dark' || value === 'light' ? value : null;
  } catch {
    return null;
  }
}

function systemTheme(): Theme {
  if (typeof matchMedia !== 'function') return 'dark';
  return matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

export function currentTheme(): Theme {
  return (chosenByHost ? null : stored()) ?? systemTheme();
}

/** From now on the page follows the host's theme only (the desktop app calls this before rendering). */
export function themeChosenByHost(): void {
  chosenByHost = true;
  apply();
}

/** Whether the page offers its own theme choice (the `t` key and the header's button). */
export function canChooseTheme(): boolean {
  return !chosenByHost;
}

function apply(): void {
  document.documentElement.dataset.theme = currentTheme();
  for (const listener of listeners) listener();
}

export function setTheme(theme: Theme): void {
  if (chosenByHost) return;
  try {
    localStorage.setItem(STORAGE_KEY, theme);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  apply();
}

export function toggleTheme(): void {
  setTheme(currentTheme() === 'dark' ? 'light' : 'dark');
}

/** Applies the theme now and follows the system's while no choice was made. */
export function installTheme(): () => void {
  apply();
  if (typeof matchMedia !== 'function') return () => {};
  const query = matchMedia('(prefers-color-scheme: light)');
  const onChange = () => apply();
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, currentTheme);
}
