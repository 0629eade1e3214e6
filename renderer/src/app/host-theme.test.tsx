// @vitest-environment jsdom
// Inside the desktop app the theme is the app's (View › Theme, seen by the page as its
// prefers-color-scheme): the page offers no choice of its own and ignores one it kept earlier.
// Its own file, because the switch lasts for the page's life, as it does in the app.
import { act, fireEvent, render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeClient } from '../testing/fake-client.ts';
import { installDom } from '../testing/dom.ts';
import { snapshot } from '../testing/fixtures.ts';
import { immediateStore } from '../testing/render.tsx';
import { canChooseTheme, currentTheme, setTheme, themeChosenByHost } from '../ui/theme.ts';
import { Dashboard } from './Dashboard.tsx';

vi.mock('../views/metrics/UPlotChart.tsx', () => ({ UPlotChart: (props: { testId?: string }) => <div data-testid={props.testId} /> }));

installDom();

/** The prefers-color-scheme the host gives the page: light when `light.value`. */
const light = { value: false };
const listeners = new Set<EventListener>();

beforeEach(() => {
  light.value = false;
  listeners.clear();
  window.matchMedia = ((query: string) => ({
    get matches() {
      return query.includes('light') && light.value;
    },
    media: query,
    onchange: null,
    addEventListener: (_type: string, listener: EventListener) => void listeners.add(listener),
    removeEventListener: (_type: string, listener: EventListener) => void listeners.delete(listener),
    addListener: () => {},
    removeListener: () => {},
    dispatchEvent: () => false,
  })) as unknown as typeof window.matchMedia;
});

describe('the theme inside the desktop app', () => {
  it('follows the app only: no button, no t, and a choice kept from before is ignored', () => {
    // A choice the page made in a browser-like past, before the app took over.
    setTheme('light');
    expect(currentTheme()).toBe('light');

    themeChosenByHost();
    expect(canChooseTheme()).toBe(false);
    expect(document.documentElement.dataset.theme).toBe('dark');

    const client = new FakeClient();
    render(<Dashboard client={client} store={immediateStore()} />);
    act(() => client.emitSnapshot(snapshot()));
    expect(screen.queryByTestId('theme-toggle')).toBeNull();
    act(() => void fireEvent.keyDown(window, { key: 't' }));
    expect(document.documentElement.dataset.theme).toBe('dark');
    setTheme('light');
    expect(document.documentElement.dataset.theme).toBe('dark');

    // View › Theme › Light: the page's prefers-color-scheme changes, and the page follows.
    light.value = true;
    act(() => listeners.forEach((listener) => listener(new Event('change'))));
    expect(document.documentElement.dataset.theme).toBe('light');

    act(() => void fireEvent.keyDown(window, { key: '?' }));
    const help = screen.getByTestId('shortcuts-help').textContent ?? '';
    expect(help).toContain('Follow the logs');
    expect(help).not.toContain('Dark or light theme');
  });
});
