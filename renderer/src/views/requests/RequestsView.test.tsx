// @vitest-environment jsdom
import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { accessRecord, logLine, snapshot, T0 } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { RequestsView } from './RequestsView.tsx';

installDom();

function records() {
  return [
    accessRecord({ time: T0 + 10_000, path: '/api/items', status: 200, worker: 'api-1', requestId: 'r-ok' }),
    accessRecord({ time: T0 + 11_000, path: '/api/orders', status: 502, worker: 'api-2', requestId: 'r-bad', error: 'upstream reset', duration: 31 }),
    accessRecord({ time: T0 + 12_000, path: '/index.html', status: 304, worker: 'web', app: 'web', route: '/', requestId: 'r-web' }),
    accessRecord({ time: T0 + 13_000, path: '/api/slow', status: 0, worker: null, requestId: 'r-none', error: 'client aborted' }),
  ];
}

const ids = () => screen.queryAllByTestId('request-row').map((row) => row.dataset.requestId);

describe('RequestsView', () => {
  it('lists requests newest first, with status classes coloured', () => {
    renderView(<RequestsView />, { snapshot: snapshot({ access: records() }) });
    expect(ids()).toEqual(['r-none', 'r-web', 'r-bad', 'r-ok']);
    const bad = screen.getAllByTestId('request-row')[2] as HTMLElement;
    expect(within(bad).getByText('502').className).toContain('status-5xx');
    expect(within(bad).getByText('31 ms')).toBeTruthy();
  });

  it('adds requests as they arrive', () => {
    const { emit } = renderView(<RequestsView />, { snapshot: snapshot({ access: records() }) });
    emit([{ topic: 'access', data: [accessRecord({ requestId: 'r-new' })] }]);
    expect(ids()[0]).toBe('r-new');
  });

  it('filters by text, status class and app', () => {
    renderView(<RequestsView />, { snapshot: snapshot({ access: records() }) });
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter requests' }), { target: { value: 'orders' } });
    expect(ids()).toEqual(['r-bad']);
    fireEvent.change(screen.getByRole('searchbox', { name: 'Filter requests' }), { target: { value: '' } });
    fireEvent.change(screen.getByRole('combobox', { name: 'Status class' }), { target: { value: '5xx' } });
    expect(ids()).toEqual(['r-bad']);
    fireEvent.change(screen.getByRole('combobox', { name: 'Status class' }), { target: { value: 'error' } });
    expect(ids()).toEqual(['r-none']);
    fireEvent.change(screen.getByRole('combobox', { name: 'Status class' }), { target: { value: '' } });
    fireEvent.change(screen.getByRole('combobox', { name: 'App' }), { target: { value: 'web' } });
    expect(ids()).toEqual(['r-web']);
    expect(screen.getByTestId('request-count').textContent).toBe('1 of 4 requests');
  });

  it("shows a selected request with its worker's lines within two seconds", () => {
    const logs = [
      logLine('before the window', { source: 'api-2', time: T0 + 8_500 }),
      logLine('handling /api/orders', { source: 'api-2', time: T0 + 11_001 }),
      logLine('another worker', { source: 'api-1', time: T0 + 11_002 }),
      logLine('\u001b[31mECONNRESET\u001b[0m', { source: 'api-2', stream: 'stderr', time: T0 + 11_020 }),
      logLine('after the window', { source: 'api-2', time: T0 + 13_500 }),
    ];
    renderView(<RequestsView />, { snapshot: snapshot({ access: records(), logs }) });
    fireEvent.click(screen.getAllByTestId('request-row')[2] as HTMLElement);
    const detail = screen.getByTestId('request-detail');
    expect(detail.textContent).toContain('upstream reset');
    expect(within(detail).getAllByTestId('request-log-line').map((row) => row.querySelector('.log-text')?.textContent)).toEqual([
      'handling /api/orders',
      'ECONNRESET',
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Close request details' }));
    expect(screen.queryByTestId('request-detail')).toBeNull();
  });

  it('explains a request no worker answered', () => {
    renderView(<RequestsView />, { snapshot: snapshot({ access: records() }) });
    fireEvent.click(screen.getAllByTestId('request-row')[0] as HTMLElement);
    expect(screen.getByTestId('request-detail').textContent).toContain('No worker answered');
  });

  it('says how to get requests when there are none', () => {
    renderView(<RequestsView />);
    expect(screen.getByTestId('requests-empty').textContent).toContain('http://127.0.0.1:8080');
  });
});
