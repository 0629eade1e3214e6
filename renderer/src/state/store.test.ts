import { describe, expect, it } from 'vitest';
import { accessRecord, loadProgress, logLine, processInfo, snapshot, status, trafficSample } from '../testing/fixtures.ts';
import { DashboardStore } from './store.ts';

function manualStore(options: { logCapacity?: number } = {}) {
  const pending: (() => void)[] = [];
  const store = new DashboardStore({ schedule: (callback) => pending.push(callback), ...options });
  const frame = () => pending.splice(0).forEach((callback) => callback());
  return { store, frame };
}

describe('DashboardStore', () => {
  it('publishes a snapshot at once and event batches once per frame', () => {
    const { store, frame } = manualStore();
    let renders = 0;
    store.subscribe(() => renders++);
    store.applySnapshot(snapshot());
    expect(renders).toBe(1);
    expect(store.getState().loaded).toBe(true);
    expect(store.getState().processes.get('api-2')?.state).toBe('ready');

    store.applyEvents([{ topic: 'process', data: processInfo('api-2', { state: 'crashed' }) }]);
    store.applyEvents([{ topic: 'logs', data: [logLine('a'), logLine('b')] }]);
    expect(renders).toBe(1);
    expect(store.getState().processes.get('api-2')?.state).toBe('ready');
    frame();
    expect(renders).toBe(2);
    expect(store.getState().processes.get('api-2')?.state).toBe('crashed');
    expect(store.getState().logs.size).toBe(2);
  });

  it('keeps the rings in place and bumps their versions instead of copying', () => {
    const { store, frame } = manualStore();
    store.applySnapshot(snapshot());
    const before = store.getState();
    store.applyEvents([{ topic: 'logs', data: [logLine('x')] }]);
    frame();
    const after = store.getState();
    expect(after.logs).toBe(before.logs);
    expect(after.logsVersion).toBe(before.logsVersion + 1);
    expect(after.accessVersion).toBe(before.accessVersion);
    expect(after.processes).toBe(before.processes);
  });

  it('bounds the log ring and drops lines it already holds', () => {
    const { store, frame } = manualStore({ logCapacity: 3 });
    const lines = [logLine('1'), logLine('2'), logLine('3'), logLine('4')];
    store.applySnapshot(snapshot({ logs: lines.slice(0, 2) }));
    store.applyEvents([{ topic: 'logs', data: lines.slice(1) }]);
    frame();
    expect(store.getState().logs.toArray().map((line) => line.text)).toEqual(['2', '3', '4']);
  });

  it('resumes from the last log and access seq it holds', () => {
    const { store } = manualStore();
    expect(store.resumePoint()).toEqual({});
    const line = logLine('x');
    const record = accessRecord();
    store.applySnapshot(snapshot({ logs: [line], access: [record] }));
    expect(store.resumePoint()).toEqual({ logsAfter: line.seq, accessAfter: record.seq });
  });

  it('applies metrics to the processes and removes a removed process', () => {
    const { store, frame } = manualStore();
    store.applySnapshot(snapshot());
    store.applyEvents([
      { topic: 'metrics', data: { time: 1, processes: [{ id: 'api-1', name: 'api-1', cpu: 42, memory: 1048576 }] } },
      { topic: 'removed', data: { id: 'api-2', name: 'api-2' } },
    ]);
    frame();
    const processes = store.getState().processes;
    expect(processes.get('api-1')).toMatchObject({ cpu: 42, memory: 1048576 });
    expect(processes.has('api-2')).toBe(false);
  });

  it('keeps 300 seconds of traffic and replaces a repeated second', () => {
    const { store, frame } = manualStore();
    store.applySnapshot(snapshot());
    for (let second = 0; second < 310; second++) store.applyEvents([{ topic: 'traffic', data: trafficSample(second * 1000, {}) }]);
    store.applyEvents([{ topic: 'traffic', data: trafficSample(309_000, {}, 7) }]);
    frame();
    const traffic = store.getState().traffic;
    expect(traffic).toHaveLength(300);
    expect(traffic[0]?.time).toBe(10_000);
    expect(traffic[299]?.unrouted).toBe(7);
  });

  it('never rolls a load test back to older figures', () => {
    const { store, frame } = manualStore();
    store.applySnapshot(snapshot());
    store.applyEvents([{ topic: 'load', data: loadProgress({ elapsed: 5, sent: 500 }) }]);
    store.recordLoad(loadProgress({ elapsed: 1, sent: 100 }));
    frame();
    expect(store.getState().loads.get('load-1')?.sent).toBe(500);
    store.recordLoad(loadProgress({ state: 'done', elapsed: 10, sent: 1000 }));
    store.applyEvents([{ topic: 'load', data: loadProgress({ elapsed: 9, sent: 900 }) }]);
    frame();
    expect(store.getState().loads.get('load-1')).toMatchObject({ state: 'done', sent: 1000 });
  });

  it('knows a snapshot from another run of the core, and forgets everything on reset', () => {
    const { store } = manualStore();
    store.applySnapshot(snapshot({ logs: [logLine('old')] }));
    expect(store.isOtherRun(snapshot())).toBe(false);
    expect(store.isOtherRun(snapshot({ status: status({ pid: 999 }) }))).toBe(true);
    store.reset();
    expect(store.getState().loaded).toBe(false);
    expect(store.getState().logs.size).toBe(0);
    expect(store.resumePoint()).toEqual({});
  });
});
