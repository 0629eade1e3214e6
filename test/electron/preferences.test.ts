// The preferences store: electron-store on real files (through the electron fake's app paths),
// with its schema, its migrations, and an unreadable file kept aside instead of crashing the app.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PREFERENCES, openPreferences } from '../../main/electron/preferences.ts';
import { resetElectronFake } from '../fakes/electron.ts';

let dir: string;
beforeEach(() => {
  resetElectronFake();
  dir = mkdtempSync(path.join(os.tmpdir(), 'sy-prefs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const configFile = () => path.join(dir, 'config.json');
const onDisk = () => JSON.parse(readFileSync(configFile(), 'utf8')) as Record<string, unknown>;

describe('preferences', () => {
  it('start from the defaults and persist what is set', () => {
    const { store, movedAside } = openPreferences({ cwd: dir, projectVersion: '0.1.0' });
    expect(movedAside).toBeNull();
    expect(store.store).toMatchObject(DEFAULT_PREFERENCES);
    store.set('theme', 'dark');
    store.set('recentStacks', [{ file: '/p/switchyard.yaml', name: 'p', openedAt: 5 }]);
    const again = openPreferences({ cwd: dir, projectVersion: '0.1.0' }).store;
    expect(again.get('theme')).toBe('dark');
    expect(again.get('recentStacks')).toEqual([{ file: '/p/switchyard.yaml', name: 'p', openedAt: 5 }]);
  });

  it('refuse values the schema does not allow, keeping the old ones', () => {
    const { store } = openPreferences({ cwd: dir, projectVersion: '0.1.0' });
    expect(() => store.set('theme', 'pink' as never)).toThrow(/theme/);
    expect(() => store.set('logRetention', 10 as never)).toThrow(/logRetention/);
    expect(() => store.set('window', { bounds: { width: 50, height: 50 }, maximized: false })).toThrow(/width|height/);
    expect(store.get('theme')).toBe('system');
    expect(onDisk().theme ?? 'system').toBe('system');
  });

  it('migrate a store in the older layout (bare paths, retention out of range)', () => {
    writeFileSync(
      configFile(),
      JSON.stringify({
        __internal__: { migrations: { version: '0.0.1' } },
        recentStacks: ['/work/shop/switchyard.yaml', { file: '/work/blog/switchyard.yaml', name: 'blog', openedAt: 9 }, 42],
        logRetention: 5_000_000,
        theme: 'light',
      }),
    );
    const { store, movedAside } = openPreferences({ cwd: dir, projectVersion: '0.1.0' });
    expect(movedAside).toBeNull();
    expect(store.get('recentStacks')).toEqual([
      { file: '/work/shop/switchyard.yaml', name: 'shop', openedAt: 0 },
      { file: '/work/blog/switchyard.yaml', name: 'blog', openedAt: 9 },
    ]);
    expect(store.get('logRetention')).toBe(1_000_000);
    expect(store.get('theme')).toBe('light');
    expect((onDisk().__internal__ as { migrations: { version: string } }).migrations.version).toBe('0.1.0');
  });

  it('do not migrate a store that is already current', () => {
    writeFileSync(configFile(), JSON.stringify({ __internal__: { migrations: { version: '0.1.0' } }, logRetention: 2000 }));
    expect(openPreferences({ cwd: dir, projectVersion: '0.1.0' }).store.get('logRetention')).toBe(2000);
  });

  for (const [label, contents] of [
    ['not JSON', '{"theme": "dark",'],
    ['against the schema', JSON.stringify({ theme: 'pink', __internal__: { migrations: { version: '0.1.0' } } })],
  ] as const) {
    it(`move a file that is ${label} aside and start from the defaults`, () => {
      writeFileSync(configFile(), contents);
      const { store, movedAside } = openPreferences({ cwd: dir, projectVersion: '0.1.0' });
      expect(movedAside).toMatch(/config\.invalid-\d+\.json$/);
      expect(readFileSync(movedAside!, 'utf8')).toBe(contents);
      expect(store.get('theme')).toBe('system');
      expect(readdirSync(dir).filter((name) => name.startsWith('config'))).toHaveLength(2);
      expect(existsSync(configFile())).toBe(true);
    });
  }
});
