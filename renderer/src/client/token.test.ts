import { describe, expect, it } from 'vitest';
import type { TokenSources } from './token.ts';
import { takeToken } from './token.ts';

function sources(hash: string, stored: Record<string, string> = {}) {
  const storage = new Map(Object.entries(stored));
  const urls: string[] = [];
  const value: TokenSources = {
    location: { hash, pathname: '/', search: '' },
    history: { state: null, replaceState: (_state, _unused, url) => void urls.push(String(url)) },
    storage: { getItem: (key) => storage.get(key) ?? null, setItem: (key, item) => void storage.set(key, item) },
  };
  return { value, storage, urls };
}

describe('takeToken', () => {
  it('takes the token from the fragment, keeps it for reloads and removes it from the URL', () => {
    const { value, storage, urls } = sources('#token=abc123');
    expect(takeToken(value)).toBe('abc123');
    expect([...storage.values()]).toEqual(['abc123']);
    expect(urls).toEqual(['/']);
  });

  it('keeps the rest of the fragment', () => {
    const { value, urls } = sources('#token=abc&view=logs');
    takeToken(value);
    expect(urls).toEqual(['/#view=logs']);
  });

  it('falls back to the session after a reload, or null', () => {
    expect(takeToken(sources('', { 'switchyard.token': 'kept' }).value)).toBe('kept');
    expect(takeToken(sources('').value)).toBeNull();
  });
});
