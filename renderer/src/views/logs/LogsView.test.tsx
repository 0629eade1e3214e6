// @vitest-environment jsdom
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../../../shared/process.ts';
import { clipboard, installDom } from '../../testing/dom.ts';
import { logLine, snapshot } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { LogsView } from './LogsView.tsx';

installDom();

function sample(): LogLine[] {
  return [
    logLine('GET /api/items 200', { source: 'api-1' }),
    logLine('\u001b[31mError\u001b[0m: database is down', { source: 'api-2', stream: 'stderr' }),
    logLine('started api-2 (pid 4242)', { source: 'api-2', stream: 'system' }),
    logLine('GET / 200', { source: 'web' }),
  ];
}

const shownTexts = () => screen.queryAllByTestId('log-line').map((row) => row.querySelector('.log-text')?.textContent);

describe('LogsView', () => {
  it('shows every line with its time, source and stream, colours as spans', () => {
    renderView(<LogsView />, { snapshot: snapshot({ logs: sample() }) });
    const rows = screen.getAllByTestId('log-line');
    expect(rows).toHaveLength(4);
    expect(rows[1]?.dataset.stream).toBe('stderr');
    expect(rows[1]?.dataset.source).toBe('api-2');
    expect(rows[2]?.dataset.stream).toBe('system');
    const red = rows[1]?.querySelector('.fg-red');
    expect(red?.textContent).toBe('Error');
    expect(rows[1]?.textContent).not.toContain('\u001b');
    expect(rows[0]?.querySelector('.log-time')?.textContent).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
  });

  it('says what will appear when there are no lines yet', () => {
    renderView(<LogsView />);
    expect(screen.getByTestId('logs-empty').textContent).toContain('No log lines yet');
  });

  it('appends lines as they arrive', () => {
    const { emit } = renderView(<LogsView />, { snapshot: snapshot({ logs: sample() }) });
    emit([{ topic: 'logs', data: [logLine('listening on 9002', { source: 'api-1' })] }]);
    expect(shownTexts().at(-1)).toBe('listening on 9002');
  });

  it('filters by process and by app', () => {
    renderView(<LogsView />, { snapshot: snapshot({ logs: sample() }) });
    fireEvent.change(screen.getByRole('combobox', { name: 'Process' }), { target: { value: 'process:web' } });
    expect(shownTexts()).toEqual(['GET / 200']);
    fireEvent.change(screen.getByRole('combobox', { name: 'Process' }), { target: { value: 'app:api' } });
    expect(screen.getAllByTestId('log-line').map((row) => row.dataset.source)).toEqual(['api-1', 'api-2', 'api-2']);
    expect(screen.getByTestId('log-count').textContent).toContain('3 of 4');
  });

  it('searches by regex over the text without colour codes, and says when the regex is invalid', async () => {
    renderView(<LogsView />, { snapshot: snapshot({ logs: sample() }) });
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search logs' }), { target: { value: '^error:' } });
    await waitFor(() => expect(shownTexts()).toEqual(['Error: database is down']));
    fireEvent.change(screen.getByRole('searchbox', { name: 'Search logs' }), { target: { value: 'GET (' } });
    expect(screen.getByTestId('log-search-error').textContent).toMatch(/^Invalid regex/);
    await waitFor(() => expect(shownTexts()).toHaveLength(4));
  });

  it('shows stderr only when asked', () => {
    renderView(<LogsView />, { snapshot: snapshot({ logs: sample() }) });
    fireEvent.click(screen.getByRole('checkbox', { name: 'stderr only' }));
    expect(screen.getAllByTestId('log-line').map((row) => row.dataset.stream)).toEqual(['stderr']);
  });

  it('offers to clear a filter that matches nothing', () => {
    renderView(<LogsView />, { snapshot: snapshot({ logs: [logLine('fine')] }) });
    fireEvent.click(screen.getByRole('checkbox', { name: 'stderr only' }));
    fireEvent.click(screen.getByRole('button', { name: 'Clear the filter' }));
    expect(shownTexts()).toEqual(['fine']);
  });

  it('pauses when scrolled up and resumes with "jump to latest"', () => {
    renderView(<LogsView />, { snapshot: snapshot({ logs: sample() }) });
    const follow = screen.getByRole('button', { name: 'Follow logs' });
    expect(follow.getAttribute('aria-pressed')).toBe('true');
    expect(screen.queryByTestId('log-jump-latest')).toBeNull();

    const list = screen.getByTestId('log-list');
    Object.defineProperty(list, 'scrollHeight', { configurable: true, value: 20_000 });
    list.scrollTop = 5_000;
    fireEvent.scroll(list);
    expect(follow.getAttribute('aria-pressed')).toBe('false');

    fireEvent.click(screen.getByTestId('log-jump-latest'));
    expect(follow.getAttribute('aria-pressed')).toBe('true');
    expect(list.scrollTop).toBe(20_000);
  });

  it('pauses on a wheel turn upwards', () => {
    renderView(<LogsView />, { snapshot: snapshot({ logs: sample() }) });
    fireEvent.wheel(screen.getByTestId('log-list'), { deltaY: -120 });
    expect(screen.getByTestId('log-jump-latest')).toBeTruthy();
  });

  it('copies the filtered lines as plain text', async () => {
    renderView(<LogsView />, { snapshot: snapshot({ logs: sample() }) });
    fireEvent.change(screen.getByRole('combobox', { name: 'Process' }), { target: { value: 'process:api-2' } });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy lines' })));
    const copied = clipboard.text?.split('\n') ?? [];
    expect(copied).toHaveLength(2);
    expect(copied[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} api-2 Error: database is down$/);
    expect(screen.getByText('Copied 2 lines')).toBeTruthy();
  });

  it('holds 100,000 lines but renders only a screenful, and filters them without blocking a render', async () => {
    const lines = Array.from({ length: 100_000 }, (_, index) =>
      logLine(`request ${index} done`, { source: index % 4 === 0 ? 'api-2' : 'api-1', stream: index % 1000 === 0 ? 'stderr' : 'stdout' }),
    );
    renderView(<LogsView />, { snapshot: snapshot({ logs: lines }) });
    expect(screen.getByTestId('log-count').textContent).toBe('100,000 lines');
    expect(screen.getAllByTestId('log-line').length).toBeLessThan(100);

    // The change renders with whatever the first slice found; later slices fill in the rest.
    fireEvent.change(screen.getByRole('combobox', { name: 'Process' }), { target: { value: 'process:api-2' } });
    await waitFor(() => expect(screen.getByTestId('log-count').textContent).toBe('25,000 of 100,000 lines'));
    expect(screen.getAllByTestId('log-line').every((row) => row.dataset.source === 'api-2')).toBe(true);
  });

  it('says when lines were lost while the page was away', () => {
    renderView(<LogsView />, { snapshot: snapshot({ logs: sample(), logsSkipped: 1200 }) });
    expect(screen.getByTestId('logs-skipped').textContent).toContain('1,200 earlier lines');
  });
});
