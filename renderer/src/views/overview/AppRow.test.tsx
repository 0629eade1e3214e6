// @vitest-environment jsdom
import { act, fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { processInfo } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { AppRow } from './AppRow.tsx';
import type { AppGroup } from './process-model.ts';

installDom();

function row(group: AppGroup) {
  return (
    <table>
      <tbody>
        <AppRow group={group} rate={12} />
      </tbody>
    </table>
  );
}

describe('AppRow', () => {
  it('counts ready workers, leaving draining ones out of the size', () => {
    renderView(row({ name: 'api', spec: null, workers: [processInfo('api-1'), processInfo('api-2', { state: 'starting' }), processInfo('api-3', { state: 'draining' })] }));
    expect(screen.getByTestId('ready-api').textContent).toBe('1/2 ready');
    expect(screen.getByTestId('replicas-api').textContent).toBe('2');
    expect(screen.getByTestId('rps-api').textContent).toBe('12');
  });

  it('offers Start when a worker is down and Stop while any runs', () => {
    renderView(row({ name: 'api', spec: null, workers: [processInfo('api-1'), processInfo('api-2', { state: 'stopped', pid: null })] }));
    expect(screen.getByRole('button', { name: 'Start api' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Stop api' })).toBeTruthy();
  });

  it('starts every worker without asking, and stops them only after asking', async () => {
    const { client } = renderView(row({ name: 'api', spec: null, workers: [processInfo('api-1'), processInfo('api-2', { state: 'stopped' })] }));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Start api' })));
    expect(client.callsTo('start')).toEqual([['api']]);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Stop api' })));
    expect(client.callsTo('stop')).toEqual([]);
    await act(async () => fireEvent.click(screen.getByTestId('confirm-action')));
    expect(client.callsTo('stop')).toEqual([['api']]);
  });

  it('asks before a restart that takes all its workers down at once, and offers a reload instead', async () => {
    const workers = [processInfo('api-1'), processInfo('api-2'), processInfo('api-3')];
    const { client } = renderView(row({ name: 'api', spec: null, workers }));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Restart api' })));
    const dialog = screen.getByTestId('confirm-dialog');
    expect(dialog.textContent).toContain('Restart all 3 workers of api at once?');
    expect(dialog.textContent).toContain('takes all 3 workers of api down at the same time');
    expect(client.callsTo('restart')).toEqual([]);
    await act(async () => fireEvent.click(screen.getByTestId('confirm-alternative')));
    expect(screen.queryByTestId('confirm-dialog')).toBeNull();
    expect(client.callsTo('restart')).toEqual([]);
    expect(client.callsTo('reload')).toEqual([['api']]);

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Restart api' })));
    await act(async () => fireEvent.click(screen.getByTestId('confirm-action')));
    expect(client.callsTo('restart')).toEqual([['api']]);
  });

  it('cannot scale below zero', () => {
    renderView(row({ name: 'api', spec: null, workers: [] }));
    expect(screen.getByRole('button', { name: 'Scale api down' })).toHaveProperty('disabled', true);
  });
});
