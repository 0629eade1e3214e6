// @vitest-environment jsdom
import { act, screen } from '@testing-library/react';
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
});
