// @vitest-environment jsdom
import { act, fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { loadProgress, snapshot } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { LoadView } from './LoadView.tsx';

installDom();

function fill(fields: { rate?: string; path?: string; duration?: string }) {
  if (fields.rate !== undefined) fireEvent.change(screen.getByRole('textbox', { name: 'Requests per second' }), { target: { value: fields.rate } });
  if (fields.path !== undefined) fireEvent.change(screen.getByRole('textbox', { name: 'Path' }), { target: { value: fields.path } });
  if (fields.duration !== undefined) fireEvent.change(screen.getByRole('textbox', { name: 'Duration in seconds' }), { target: { value: fields.duration } });
}

const start = () => act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start load test' })));

describe('LoadView', () => {
  it('starts a load test with the spec typed, and shows its progress', async () => {
    const { client } = renderView(<LoadView />);
    client.respond('loadTest', (spec) => loadProgress({ id: 'load-7', spec, sent: 0, ok: 0, elapsed: 0 }));
    expect(screen.getByRole('textbox', { name: 'Path' })).toHaveProperty('value', '/api/');
    fill({ rate: '200', path: '/api/items?q=1', duration: '30' });
    fireEvent.change(screen.getByRole('combobox', { name: 'Method' }), { target: { value: 'HEAD' } });
    await start();
    expect(client.callsTo('loadTest')).toEqual([[{ path: '/api/items?q=1', rate: 200, duration: 30, method: 'HEAD' }]]);
    expect(screen.getByTestId('load-progress').dataset.loadId).toBe('load-7');
    expect(screen.getByTestId('load-state').textContent).toBe('running');
  });

  it('checks the form against the limits and says what is wrong', async () => {
    const { client } = renderView(<LoadView />);
    fill({ rate: '6000', path: 'api', duration: '0' });
    await start();
    expect(client.callsTo('loadTest')).toEqual([]);
    expect(screen.getByTestId('load-error-rate').textContent).toBe('Rate must be a whole number from 1 to 5000 requests/s');
    expect(screen.getByTestId('load-error-path').textContent).toContain('must start with /');
    expect(screen.getByTestId('load-error-duration').textContent).toContain('from 1 to 600');
  });

  it('follows load events: counters, failed in red, status classes and last errors', () => {
    const { emit } = renderView(<LoadView />);
    emit([{ topic: 'load', data: loadProgress({ elapsed: 3, sent: 300, ok: 290, failed: 0 }) }]);
    expect(screen.getByTestId('load-failed').textContent).toBe('0');
    expect(screen.getByTestId('load-failed').closest('.counter')?.className).not.toContain('counter-bad');
    emit([
      {
        topic: 'load',
        data: loadProgress({ elapsed: 4, sent: 400, ok: 380, failed: 20, skipped: 3, statuses: { '2xx': 380, '5xx': 12, error: 8 }, errors: ['502 from api-2', 'ECONNREFUSED'], p99: 120 }),
      },
    ]);
    expect(screen.getByTestId('load-sent').textContent).toBe('400');
    expect(screen.getByTestId('load-failed').textContent).toBe('20');
    expect(screen.getByTestId('load-failed').closest('.counter')?.className).toContain('counter-bad');
    expect(screen.getByTestId('load-skipped').textContent).toBe('3');
    expect(screen.getByTestId('load-status-5xx').textContent).toBe('5xx 12');
    expect(screen.getByTestId('load-p99').textContent).toBe('120 ms');
    expect(screen.getByTestId('load-errors').textContent).toContain('ECONNREFUSED');
  });

  it('stops a running test and cannot start a second meanwhile', async () => {
    const { client } = renderView(<LoadView />, { snapshot: snapshot({ loads: [loadProgress({ id: 'load-3' })] }) });
    client.respond('stopLoadTest', (id) => loadProgress({ id, state: 'stopped', elapsed: 5 }));
    expect(screen.getByRole('button', { name: 'Start load test' })).toHaveProperty('disabled', true);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Stop load test' })));
    expect(client.callsTo('stopLoadTest')).toEqual([['load-3']]);
    expect(screen.getByTestId('load-state').textContent).toBe('stopped');
    expect(screen.getByRole('button', { name: 'Start load test' })).toHaveProperty('disabled', false);
  });

  it("shows the core's refusal", async () => {
    const { client } = renderView(<LoadView />);
    client.respond('loadTest', () => Promise.reject(new Error('a load test is already running')));
    await start();
    expect(screen.getByRole('alert').textContent).toContain('Start load test failed: a load test is already running');
  });
});
