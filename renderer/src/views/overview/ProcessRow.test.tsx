// @vitest-environment jsdom
import { act, fireEvent, screen } from '@testing-library/react';
import type { ReactElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { processInfo, T0 } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { ProcessRow } from './ProcessRow.tsx';

installDom();

function inTable(row: ReactElement) {
  return (
    <table>
      <tbody>{row}</tbody>
    </table>
  );
}

describe('ProcessRow', () => {
  afterEach(() => vi.useRealTimers());

  it('ticks the uptime of a live process every second', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'Date'] });
    vi.setSystemTime(T0 + 61_000);
    renderView(inTable(<ProcessRow process={processInfo('api-1')} rate={3} />));
    expect(screen.getByTestId('uptime-api-1').textContent).toBe('1m 01s');
    act(() => vi.advanceTimersByTime(2000));
    expect(screen.getByTestId('uptime-api-1').textContent).toBe('1m 03s');
  });

  it('shows no uptime, CPU or memory for a process that is not running', () => {
    renderView(inTable(<ProcessRow process={processInfo('api-1', { state: 'backoff', pid: null, restarts: 3 })} rate={undefined} />));
    expect(screen.getByTestId('uptime-api-1').textContent).toBe('—');
    expect(screen.getByTestId('cpu-api-1').textContent).toBe('—');
    expect(screen.getByTestId('restarts-api-1').textContent).toBe('3');
    expect(screen.getByRole('button', { name: 'Kill api-1' })).toHaveProperty('disabled', true);
  });

  it('counts restarts a person asked for apart from those after a crash, and warns only of the latter', () => {
    renderView(inTable(<ProcessRow process={processInfo('api-1', { restarts: 3, manualRestarts: 2 })} rate={0} />));
    expect(screen.getByTestId('restarts-api-1').textContent).toBe('3 (+2 manual)');
    renderView(inTable(<ProcessRow process={processInfo('api-2', { restarts: 0, manualRestarts: 4 })} rate={0} />));
    expect(screen.getByTestId('restarts-api-2').textContent).toBe('0 (+4 manual)');
    expect(screen.getByTestId('restarts-api-2').className).not.toContain('warn-text');
  });

  it('offers reload but not kill for the proxy and static sites', () => {
    renderView(inTable(<ProcessRow process={processInfo('web')} rate={0} />));
    expect(screen.getByRole('button', { name: 'Reload web' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Kill web' })).toBeNull();
    expect(document.querySelector('[data-process="web"]')?.getAttribute('data-state')).toBe('ready');
  });

  it("shows the last stderr line of a failed process when the core gave no reason", () => {
    renderView(inTable(<ProcessRow process={processInfo('api-1', { state: 'failed', lastStderr: ['Error: EADDRINUSE'] })} rate={0} />));
    expect(screen.getByTestId('reason-api-1').textContent).toBe('Error: EADDRINUSE');
  });

  it('says what a held worker waits for, or what blocks it, and offers no kill', () => {
    const waiting = processInfo('api-1', { state: 'waiting', pid: null, port: null, startedAt: null, health: 'unknown', reason: 'waiting for migrate (completed)' });
    const view = renderView(inTable(<ProcessRow process={waiting} rate={undefined} />));
    expect(screen.getByTestId('state-api-1').textContent).toBe('waiting');
    expect(screen.getByTestId('state-api-1').className).toContain('tone-busy');
    expect(screen.getByTestId('reason-api-1').textContent).toBe('waiting for migrate (completed)');
    expect(screen.getByRole('button', { name: 'Kill api-1' })).toHaveProperty('disabled', true);
    view.unmount();

    renderView(inTable(<ProcessRow process={{ ...waiting, state: 'blocked', reason: 'blocked: migrate failed (exit 1)' }} rate={undefined} />));
    expect(screen.getByTestId('state-api-1').className).toContain('tone-bad');
    expect(screen.getByTestId('reason-api-1').textContent).toBe('blocked: migrate failed (exit 1)');
  });

  it('shows a failed task with its stderr and runs it again with Run again, without restart, reload or kill', async () => {
    const failed = processInfo('migrate', {
      kind: 'task',
      state: 'crashed',
      pid: null,
      health: 'unknown',
      reason: 'exit code 1',
      lastExit: { code: 1, signal: null, at: T0, uptime: 400 },
      lastStderr: ['Traceback (most recent call last):', 'sqlite3.OperationalError: no such table: users'],
    });
    const { client } = renderView(inTable(<ProcessRow process={failed} rate={undefined} />));
    expect(screen.getByTestId('reason-migrate').textContent).toBe('exit code 1: sqlite3.OperationalError: no such table: users');
    expect(screen.getByTestId('reason-migrate').getAttribute('title')).toContain('Traceback');
    expect(screen.queryByRole('button', { name: 'Restart migrate' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Kill migrate' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Stop migrate' })).toBeNull();
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Run migrate again' })));
    expect(client.callsTo('restart')).toEqual([['migrate']]);
  });

  it('offers Stop for a task still running', () => {
    renderView(inTable(<ProcessRow process={processInfo('migrate', { kind: 'task', state: 'starting', health: 'unknown' })} rate={undefined} />));
    expect(screen.getByRole('button', { name: 'Stop migrate' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Run migrate again' })).toBeTruthy();
  });
});
