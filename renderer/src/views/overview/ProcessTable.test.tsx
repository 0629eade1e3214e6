// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { appTraffic, processInfo, snapshot, trafficSample } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { ProcessTable } from './ProcessTable.tsx';

installDom();

describe('ProcessTable', () => {
  it('lists the proxy, static sites and each app with its workers, with their numbers', () => {
    renderView(<ProcessTable />);
    const rows = document.querySelectorAll('[data-process]');
    expect([...rows].map((row) => row.getAttribute('data-process'))).toEqual(['proxy', 'web', 'api-1', 'api-2']);
    expect(document.querySelector('[data-app="api"]')).not.toBeNull();
    expect(screen.getByTestId('pid-api-2').textContent).toBe('2004');
    expect(screen.getByTestId('state-api-2').textContent).toBe('ready');
    expect(screen.getByTestId('memory-api-2').textContent).toBe('50.0');
    expect(screen.getByTestId('ready-api').textContent).toBe('2/2 ready');
  });

  it('follows process events: state, pid and the reason of a failure', () => {
    const { emit } = renderView(<ProcessTable />);
    emit([{ topic: 'process', data: processInfo('api-2', { state: 'failed', pid: null, reason: 'exited 1 five times in a row' }) }]);
    expect(screen.getByTestId('state-api-2').dataset.state).toBe('failed');
    expect(screen.getByTestId('pid-api-2').textContent).toBe('—');
    expect(screen.getByTestId('reason-api-2').textContent).toContain('five times');
    expect(screen.getByTestId('ready-api').textContent).toBe('1/2 ready');
    // A stopped worker offers Start instead of Stop.
    expect(screen.getByRole('button', { name: 'Start api-2' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Stop api-2' })).toBeNull();
  });

  it("lists a worker's forked children under it with their numbers, and the worker's warnings", () => {
    const child = (pid: number, ppid = 2005) => ({ pid, ppid, command: '/usr/bin/python3 /usr/bin/gunicorn -w 2 app:app', cpu: 1.25, memory: 25 * 1048576, startedAt: Date.now() - 65_000 });
    const warning = 'listening on 0.0.0.0:9005, which other machines can reach: the proxy needs only 127.0.0.1; bind it to loopback (gunicorn -b 127.0.0.1:$PORT)';
    const { emit } = renderView(<ProcessTable />);
    emit([{ topic: 'process', data: processInfo('api-1', { pid: 2005, children: [child(3001), child(3002)], warnings: [warning] }) }]);
    const rows = [...document.querySelectorAll('tr[data-process], tr[data-child]')].map((row) => row.getAttribute('data-process') ?? `child ${row.getAttribute('data-child')}`);
    expect(rows).toEqual(['proxy', 'web', 'api-1', 'child 3001', 'child 3002', 'api-2']);
    expect(screen.getByTestId('child-pid-3002').textContent).toBe('3002');
    expect(screen.getByTestId('child-cpu-3002').textContent).toBe('1.3');
    expect(screen.getByTestId('child-memory-3002').textContent).toBe('25.0');
    expect(screen.getByTestId('child-uptime-3002').textContent).toMatch(/^1m 0\ds$/);
    expect(screen.getByTestId('warning-api-1').textContent).toBe(warning);
    // A re-forked child replaces its row.
    emit([{ topic: 'process', data: processInfo('api-1', { pid: 2005, children: [child(3001), child(3003)] }) }]);
    expect(document.querySelector('tr[data-child="3002"]')).toBeNull();
    expect(screen.getByTestId('child-pid-3003').textContent).toBe('3003');
    expect(screen.queryByTestId('warning-api-1')).toBeNull();
  });

  it('lists a task after the static sites, not as an app, and shows a waiting worker with what it waits for', () => {
    const { emit } = renderView(<ProcessTable />);
    emit([
      { topic: 'process', data: processInfo('migrate', { kind: 'task', state: 'starting', health: 'unknown' }) },
      { topic: 'process', data: processInfo('api-2', { state: 'waiting', pid: null, reason: 'waiting for migrate (completed)' }) },
    ]);
    const rows = document.querySelectorAll('[data-process]');
    expect([...rows].map((row) => row.getAttribute('data-process'))).toEqual(['proxy', 'web', 'migrate', 'api-1', 'api-2']);
    expect(document.querySelector('[data-app="migrate"]')).toBeNull();
    expect(screen.getByTestId('reason-api-2').textContent).toBe('waiting for migrate (completed)');
    expect(screen.getByRole('button', { name: 'Run migrate again' })).toBeTruthy();
  });

  it('shows requests per second from the last traffic sample', () => {
    const { emit } = renderView(<ProcessTable />);
    expect(screen.getByTestId('rps-api-1').textContent).toBe('—');
    emit([{ topic: 'traffic', data: trafficSample(1000, { api: appTraffic({ requests: 30, workers: { 'api-1': 12, 'api-2': 18 } }), web: appTraffic({ requests: 4 }) }, 1) }]);
    expect(screen.getByTestId('rps-api-1').textContent).toBe('12');
    expect(screen.getByTestId('rps-api').textContent).toBe('30');
    expect(screen.getByTestId('rps-proxy').textContent).toBe('35');
  });

  it('restarts without asking', async () => {
    const { client } = renderView(<ProcessTable />);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Restart api-2' })));
    expect(client.callsTo('restart')).toEqual([['api-2']]);
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('asks before killing, and does nothing when cancelled', async () => {
    const { client } = renderView(<ProcessTable />);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Kill api-2' })));
    const dialog = screen.getByRole('alertdialog');
    expect(dialog.textContent).toContain('SIGKILL');
    await act(async () => fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' })));
    expect(client.callsTo('kill')).toEqual([]);

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Kill api-2' })));
    await act(async () => fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Kill api-2' })));
    expect(client.callsTo('kill')).toEqual([['api-2']]);
  });

  it('asks before stopping and before scaling down, not before scaling up', async () => {
    const { client } = renderView(<ProcessTable />);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Scale api up' })));
    expect(client.callsTo('scale')).toEqual([['api', 3]]);

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Scale api down' })));
    expect(screen.getByRole('alertdialog').textContent).toContain('Scale api down to 1?');
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Scale api to 1' })));
    expect(client.callsTo('scale')).toEqual([['api', 3], ['api', 1]]);

    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Stop proxy' })));
    await act(async () => fireEvent.click(within(screen.getByRole('alertdialog')).getByRole('button', { name: 'Stop proxy' })));
    expect(client.callsTo('stop')).toEqual([['proxy']]);
  });

  it('reloads apps, static sites and the proxy, but offers no reload per worker', async () => {
    const { client } = renderView(<ProcessTable />);
    for (const name of ['api', 'web', 'proxy']) await act(async () => fireEvent.click(screen.getByRole('button', { name: `Reload ${name}` })));
    expect(client.callsTo('reload')).toEqual([['api'], ['web'], ['proxy']]);
    expect(screen.queryByRole('button', { name: 'Reload api-1' })).toBeNull();
  });

  it("shows a failed action's message", async () => {
    const { client } = renderView(<ProcessTable />);
    client.respond('restart', () => {
      throw new Error('no such process: api-2');
    });
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Restart api-2' })));
    expect(screen.getByRole('alert').textContent).toContain('Restart api-2 failed: no such process: api-2');
  });

  it('says what to do when the stack runs nothing', () => {
    renderView(<ProcessTable />, { snapshot: snapshot({ processes: [], status: { ...snapshot().status, spec: { ...snapshot().status.spec, apps: [] } } }) });
    expect(screen.getByTestId('processes-empty').textContent).toContain('saving the file applies it');
  });
});
