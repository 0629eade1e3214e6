// @vitest-environment jsdom
import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_CLIENT_LIMITS } from '../../../shared/stack.ts';
import { installDom } from '../testing/dom.ts';
import { snapshot, stackSpec, status } from '../testing/fixtures.ts';
import { renderView } from '../testing/render.tsx';
import { Header } from './Header.tsx';

installDom();

describe('Header', () => {
  it('names the stack, links its proxy and shows the connection', () => {
    renderView(<Header connection={{ status: 'connecting', attempt: 2 }} onShowShortcuts={() => {}} />);
    expect(screen.getByTestId('stack-name').textContent).toBe('shop');
    expect(screen.getByTestId('proxy-url').getAttribute('href')).toBe('http://127.0.0.1:8080');
    expect(screen.getByTestId('connection-state').textContent).toBe('connecting');
  });

  it('links a proxy listening on every address through loopback', () => {
    const spec = stackSpec();
    const wide = status({ spec: { ...spec, proxy: { listen: { host: '0.0.0.0', port: 80 }, routes: [], ...DEFAULT_CLIENT_LIMITS } } });
    renderView(<Header connection={{ status: 'open' }} onShowShortcuts={() => {}} />, { snapshot: snapshot({ status: wide }) });
    expect(screen.getByTestId('proxy-url').textContent).toBe('http://127.0.0.1:80');
  });

  it('switches the theme and opens the shortcut list', () => {
    const onShowShortcuts = vi.fn();
    renderView(<Header connection={{ status: 'open' }} onShowShortcuts={onShowShortcuts} />);
    const toggle = screen.getByTestId('theme-toggle');
    const before = toggle.dataset.theme;
    fireEvent.click(toggle);
    expect(screen.getByTestId('theme-toggle').dataset.theme).not.toBe(before);
    fireEvent.click(screen.getByRole('button', { name: 'Keyboard shortcuts' }));
    expect(onShowShortcuts).toHaveBeenCalled();
  });
});
