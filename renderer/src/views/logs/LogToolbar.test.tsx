// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogFilter } from '../../state/log-filter.ts';
import { installDom } from '../../testing/dom.ts';
import { stackProcesses } from '../../testing/fixtures.ts';
import { LogToolbar } from './LogToolbar.tsx';

installDom();

function setup(overrides: { focusSearch?: number; filter?: LogFilter } = {}) {
  let filter: LogFilter = overrides.filter ?? { source: null, search: '', stderrOnly: false };
  const onFilter = vi.fn((update: (current: LogFilter) => LogFilter) => {
    filter = update(filter);
  });
  const onFollow = vi.fn();
  const props = {
    filter,
    onFilter,
    processes: new Map(stackProcesses().map((process) => [process.name, process])),
    follow: true,
    onFollow,
    onCopy: () => {},
    focusSearch: overrides.focusSearch ?? 0,
    summary: '4 lines',
  };
  const view = render(<LogToolbar {...props} />);
  return { ...view, props, onFilter, onFollow, current: () => filter };
}

describe('LogToolbar', () => {
  afterEach(() => vi.useRealTimers());

  it('offers every process, and each app with all its workers', () => {
    setup();
    const options = [...screen.getByRole('combobox', { name: 'Process' }).querySelectorAll('option')].map((option) => option.value);
    expect(options).toEqual(['', 'process:proxy', 'process:web', 'app:api', 'process:api-1', 'process:api-2']);
  });

  it('keeps a chosen process that has left the stack selectable', () => {
    setup({ filter: { source: { kind: 'process', name: 'api-9' }, search: '', stderrOnly: false } });
    expect(screen.getByRole('option', { name: 'api-9 (gone)' })).toBeTruthy();
  });

  it('applies the search once typing pauses', () => {
    vi.useFakeTimers();
    const { onFilter, current } = setup();
    const input = screen.getByRole('searchbox', { name: 'Search logs' });
    fireEvent.change(input, { target: { value: 'ti' } });
    fireEvent.change(input, { target: { value: 'timeout' } });
    expect(onFilter).not.toHaveBeenCalled();
    vi.advanceTimersByTime(200);
    expect(onFilter).toHaveBeenCalledTimes(1);
    expect(current().search).toBe('timeout');
  });

  it('focuses the search when asked by the shortcut', () => {
    const { rerender, props } = setup();
    expect(document.activeElement).not.toBe(screen.getByRole('searchbox', { name: 'Search logs' }));
    rerender(<LogToolbar {...props} focusSearch={1} />);
    expect(document.activeElement).toBe(screen.getByRole('searchbox', { name: 'Search logs' }));
  });

  it('toggles follow', () => {
    const { onFollow } = setup();
    fireEvent.click(screen.getByRole('button', { name: 'Follow logs' }));
    expect(onFollow).toHaveBeenCalledWith(false);
  });
});
