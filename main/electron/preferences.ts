// The app's preferences, in electron-store: recent stacks, window placement, theme and log
// retention. Never high-frequency state: processes, logs and metrics live in the core.

import { renameSync } from 'node:fs';
import path from 'node:path';
import Store, { type Options, type Schema } from 'electron-store';
import type { RecentStack } from '../core/projects/projects.ts';
import type { WindowPlacement } from './window.ts';

export type ThemeSource = 'system' | 'light' | 'dark';

export interface Preferences {
  recentStacks: RecentStack[];
  window: WindowPlacement;
  theme: ThemeSource;
  /** Log lines kept per process. */
  logRetention: number;
}

export const DEFAULT_PREFERENCES: Preferences = {
  recentStacks: [],
  window: { bounds: { width: 1280, height: 820 }, maximized: false },
  theme: 'system',
  logRetention: 10_000,
};

export const PREFERENCES_SCHEMA: Schema<Preferences> = {
  recentStacks: {
    type: 'array',
    maxItems: 20,
    items: {
      type: 'object',
      required: ['file', 'name', 'openedAt'],
      properties: { file: { type: 'string', minLength: 1 }, name: { type: 'string' }, openedAt: { type: 'number' } },
    },
  },
  window: {
    type: 'object',
    required: ['bounds', 'maximized'],
    properties: {
      bounds: {
        type: 'object',
        required: ['width', 'height'],
        properties: {
          x: { type: 'integer' },
          y: { type: 'integer' },
          width: { type: 'integer', minimum: 400 },
          height: { type: 'integer', minimum: 300 },
        },
      },
      maximized: { type: 'boolean' },
    },
  },
  theme: { type: 'string', enum: ['system', 'light', 'dark'] },
  logRetention: { type: 'integer', minimum: 1000, maximum: 1_000_000 },
};

/**
 * Keyed by the app version that introduced each layout; electron-store runs the ones newer than
 * the store's and records the version it reached.
 */
export const PREFERENCES_MIGRATIONS: NonNullable<Options<Preferences>['migrations']> = {
  // Layout 1: a recent stack carries its name and when it was opened, not just its path (a store
  // edited by hand may hold bare paths), and log retention counts lines per process.
  '0.1.0': (store) => {
    const recent = store.get('recentStacks') as unknown;
    if (Array.isArray(recent)) {
      store.set(
        'recentStacks',
        recent.flatMap((entry: unknown): RecentStack[] =>
          typeof entry === 'string' ? [{ file: entry, name: path.basename(path.dirname(entry)), openedAt: 0 }] : isRecent(entry) ? [entry] : [],
        ),
      );
    }
    const retention = store.get('logRetention') as unknown;
    if (typeof retention !== 'number' || !Number.isInteger(retention)) store.set('logRetention', DEFAULT_PREFERENCES.logRetention);
    else store.set('logRetention', Math.min(1_000_000, Math.max(1000, retention)));
  },
};

function isRecent(entry: unknown): entry is RecentStack {
  const candidate = entry as Partial<RecentStack> | null;
  return typeof candidate?.file === 'string' && typeof candidate.name === 'string' && typeof candidate.openedAt === 'number';
}

/** The store, and where an unreadable one was moved aside (null when it was fine). */
export interface OpenedPreferences {
  store: Store<Preferences>;
  movedAside: string | null;
}

/**
 * Opens the preferences. A file that is not JSON or breaks the schema is not thrown away: it is
 * moved aside (config.invalid-TIME.json) and the app starts from the defaults.
 */
export function openPreferences(options: { cwd: string; projectVersion?: string }): OpenedPreferences {
  const create = () =>
    new Store<Preferences>({
      name: 'config',
      schema: PREFERENCES_SCHEMA,
      defaults: DEFAULT_PREFERENCES,
      migrations: PREFERENCES_MIGRATIONS,
      cwd: options.cwd,
      ...(options.projectVersion ? { projectVersion: options.projectVersion } : {}),
    });
  try {
    return { store: create(), movedAside: null };
  } catch (error) {
    const file = configPath(options.cwd, error);
    if (!file) throw error;
    const aside = file.replace(/\.json$/, `.invalid-${Date.now()}.json`);
    renameSync(file, aside);
    return { store: create(), movedAside: aside };
  }
}

/** The config file an error was about, when it was about the file's contents. */
function configPath(cwd: string, error: unknown): string | null {
  const message = error instanceof Error ? error.message : '';
  if (error instanceof SyntaxError || /schema violation|not valid JSON/i.test(message)) return path.join(cwd, 'config.json');
  return null;
}
