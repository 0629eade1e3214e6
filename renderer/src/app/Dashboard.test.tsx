// @vitest-environment jsdom
import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { FakeClient } from '../testing/fake-client.ts';
import { installDom } from '../testing/dom.ts';
import { logLine, processInfo, snapshot } from '../testing/fixtures.ts';
import { immediateStore } from '../testing/render.tsx';
import { Dashboard } from './Dashboard.tsx';

vi.mock('../views/metrics/UPlotChart.tsx', () => ({ UPlotChart: (props: { testId?: string }) => <div data-testid={props.testId} /> }));

installDom();

function mount(client = new FakeClient()) {
  const store = immediateStore();
  const view = render(<Dashboard client={client} store={store} />);
  const core = {
    snapshot: (value = snapshot()) => act(() => client.emitSnapshot(value)),
    key: (key: string, target: Element | Window = window) => act(() => void fireEvent.keyDown(target, { key })),
  };
  return { ...view, client, store, core };
}

describe('Dashboard', () => {
  it('waits for the first snapshot, then shows the stack', () => {
    const { core, client } = mount();
    expect(screen.getByTestId('loading')).toBeTruthy();
    expect(client.subscriptions).toEqual([{}]);
    core.snapshot();
    expect(screen.queryByTestId('loading')).toBeNull();
    expect(screen.getByTestId('stack-name').textContent).toBe('shop');
    expect(screen.getByTestId('proxy-url').textContent).toBe('http://127.0.0.1:8080');
    expect(screen.getByTestId('connection-state').dataset.state).toBe('open');
    expect(screen.getByTestId('view-overview')).toBeTruthy();
  });

  it('keeps the picture while disconnected, says when it retries, and catches up from the last seq', () => {
    const { core, client } = mount();
    const line = logLine('before the outage');
    core.snapshot(snapshot({ logs: [line] }));
    act(() => client.setConnection({ status: 'closed', reason: 'connection lost', retryAt: Date.now() + 2000 }));
    const banner = screen.getByTestId('connection-banner');
    expect(banner.textContent).toContain('Reconnecting… the Switchyard core is not answering; is switchyard up still running?');
    expect(screen.getByTestId('connection-retry').textContent).toContain('retrying in 2 s');
    expect(screen.getByTestId('process-table')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(client.retries).toBe(1);

    act(() => client.setConnection({ status: 'open' }));
    expect(client.subscriptions.at(-1)).toEqual({ logsAfter: line.seq });
    expect(screen.queryByTestId('connection-banner')).toBeNull();
  });

  it('says the token is missing or wrong when refused', () => {
    const client = new FakeClient({ status: 'refused', reason: 'token missing or wrong: open the URL `switchyard up` printed' });
    mount(client);
    expect(screen.getByTestId('refused').textContent).toContain('token missing or wrong: open the URL `switchyard up` printed');
    expect(screen.getByTestId('connection-state').dataset.state).toBe('refused');
  });

  it('switches views from the nav and with 1 to 6', async () => {
    const { core } = mount();
    core.snapshot();
    fireEvent.click(screen.getByRole('button', { name: /Logs/ }));
    expect(screen.getByTestId('view-logs')).toBeTruthy();
    const views = ['overview', 'logs', 'requests', 'metrics', 'load', 'stack'];
    for (const [index, view] of views.entries()) {
      core.key(String(index + 1));
      // Metrics is fetched on first use.
      expect(await screen.findByTestId(`view-${view}`)).toBeTruthy();
      expect(screen.getByTestId(`nav-${view}`).getAttribute('aria-current')).toBe('page');
    }
  });

  it('focuses the log search with /, toggles follow with f, and ignores keys typed into a field', () => {
    const { core } = mount();
    core.snapshot(snapshot({ logs: [logLine('x')] }));
    core.key('/');
    const search = screen.getByRole('searchbox', { name: 'Search logs' });
    expect(document.activeElement).toBe(search);
    core.key('3', search);
    expect(screen.getByTestId('view-logs')).toBeTruthy();
    core.key('f', search);
    expect(screen.getByRole('button', { name: 'Follow logs' }).getAttribute('aria-pressed')).toBe('true');
    (search as HTMLInputElement).blur();
    core.key('f');
    expect(screen.getByRole('button', { name: 'Follow logs' }).getAttribute('aria-pressed')).toBe('false');
  });

  it('toggles the theme with t and remembers it', () => {
    const { core } = mount();
    core.snapshot();
    const before = document.documentElement.dataset.theme;
    core.key('t');
    const after = document.documentElement.dataset.theme;
    expect(after).not.toBe(before);
    expect(localStorage.getItem('switchyard.theme')).toBe(after);
    expect(screen.getByTestId('theme-toggle').getAttribute('aria-label')).toBe(`Switch to ${before} theme`);
  });

  it('lists the shortcuts with ? and closes the list with Escape', () => {
    const { core } = mount();
    core.snapshot();
    core.key('?');
    expect(screen.getByRole('dialog', { name: 'Keyboard shortcuts' }).textContent).toContain('Search the logs');
    core.key('2');
    expect(screen.queryByTestId('view-logs')).toBeNull();
    core.key('Escape', screen.getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('keeps shortcuts away from the page while a confirmation is open', async () => {
    const { core } = mount();
    core.snapshot();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Kill api-1' })));
    core.key('2');
    expect(screen.getByTestId('view-overview')).toBeTruthy();
    core.key('Escape');
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('counts processes in trouble on the Overview entry', () => {
    const { core } = mount();
    core.snapshot(snapshot({ processes: [processInfo('proxy'), processInfo('api-1', { state: 'crashed' }), processInfo('api-2', { state: 'failed' })] }));
    expect(screen.getByTestId('nav-trouble').textContent).toBe('2');
  });
});
