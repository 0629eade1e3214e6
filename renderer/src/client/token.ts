// The control token arrives once in the URL fragment (`#token=…`, never sent to a server), moves to
// sessionStorage so that a reload keeps working, and leaves the visible URL so it is not shared by
// a screenshot or a copied link.

const STORAGE_KEY = 'switchyard.token';

/** The browser pieces the token lives in; a test passes its own. */
export interface TokenSources {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>;
  history: Pick<History, 'replaceState' | 'state'>;
  storage: Pick<Storage, 'getItem' | 'setItem'>;
}

/** Reads the token from the fragment (keeping it) or from the session; null when there is none. */
export function takeToken(sources: TokenSources): string | null {
  const fragment = new URLSearchParams(sources.location.hash.replace(/^#/, ''));
  const fromUrl = fragment.get('token');
  if (fromUrl) {
    sources.storage.setItem(STORAGE_KEY, fromUrl);
    fragment.delete('token');
    const rest = fragment.toString();
    sources.history.replaceState(sources.history.state, '', `${sources.location.pathname}${sources.location.search}${rest ? `#${rest}` : ''}`);
    return fromUrl;
  }
  return sources.storage.getItem(STORAGE_KEY);
}
