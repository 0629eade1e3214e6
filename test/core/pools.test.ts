// The pools as a user sees them through the Stack: runs with ids of their own, a reload's
// replacement as its own row, and stack file edits that replace no worker when none needs it.
import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../shared/process.ts';
import { ControlHub } from '../../main/core/control/control-api.ts';
import { Stack } from '../../main/core/stack.ts';
import { fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const running: Stack[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((stack) => stack.kill()));
});

async function startStack(spec: ReturnType<typeof fixtureStack>): Promise<Stack> {
  const stack = new Stack(spec);
  running.push(stack);
  await stack.start();
  return stack;
}

const ready = (stack: Stack, names: string[]) =>
  waitFor(() => names.every((name) => stack.processes().some((p) => p.name === name && p.role === 'member' && p.state === 'ready')), `${names.join(', ')} ready`);

describe('pools', () => {
  it('gives every run an id of its own that stays with it across crash restarts', async () => {
    const stack = await startStack(fixtureStack([fixtureApp('api', 'http-worker.js', { replicas: 2, restart: 'always' })]));
    await ready(stack, ['api-1', 'api-2']);
    const ids = stack.processes().map((p) => p.id);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id).toMatch(/^api#\d+$/);
    const first = stack.processes().find((p) => p.name === 'api-1')!;
    stack.killWorker('api-1');
    await waitFor(() => {
      const now = stack.processes().find((p) => p.name === 'api-1');
      return now?.state === 'ready' && now.pid !== first.pid;
    }, 'api-1 restarted after the kill');
    expect(stack.processes().find((p) => p.name === 'api-1')?.id).toBe(first.id);
    // A run is found by its id as by its name.
    expect(stack.find(first.id)?.name).toBe('api-1');
  });

  it('shows a reload replacement as its own row (what ps --json lists) until it takes the name', async () => {
    const app = fixtureApp('api', 'slow-start.js', { env: { BOOT_MS: '1500' } });
    const stack = await startStack(fixtureStack([app]));
    const hub = new ControlHub(stack, { startedAt: Date.now(), onShutdown: () => {} });
    try {
      await ready(stack, ['api-1']);
      const old = stack.processes()[0]!;
      const surgeEvents: ProcessInfo[] = [];
      stack.onProcessChange(({ info }) => {
        if (info.role === 'surge') surgeEvents.push(info);
      });
      const reload = stack.reload('api');
      let during: ProcessInfo[] = [];
      await waitFor(async () => {
        during = await hub.api.listProcesses();
        return during.some((p) => p.role === 'surge');
      }, 'a surge row while the replacement boots');
      const surge = during.find((p) => p.role === 'surge')!;
      expect(during.filter((p) => p.name === 'api-1').map((p) => [p.id, p.role])).toEqual([
        [old.id, 'member'],
        [surge.id, 'surge'],
      ]);
      expect(surge.id).not.toBe(old.id);
      expect(surgeEvents[0]?.id).toBe(surge.id);

      expect(await reload).toEqual(['api-1']);
      const after = await hub.api.listProcesses();
      expect(after.map((p) => [p.name, p.id, p.role])).toEqual([['api-1', surge.id, 'member']]);
    } finally {
      hub.dispose();
    }
  });

  it('applies a balance: edit without replacing a worker: the pids stay the same', async () => {
    const app = fixtureApp('api', 'http-worker.js', { replicas: 3 });
    const spec = fixtureStack([app]);
    const stack = await startStack(spec);
    await ready(stack, ['api-1', 'api-2', 'api-3']);
    const before = stack.processes().map((p) => [p.name, p.id, p.pid]);

    const changes = await stack.applySpec({ ...spec, apps: [{ ...app, balance: 'least-conn', health: { ...app.health, interval: 400 } }] });

    expect(changes).toEqual(["updated api's settings in place (no worker replaced)"]);
    expect(stack.processes().map((p) => [p.name, p.id, p.pid])).toEqual(before);
    expect(stack.spec.apps[0]?.balance).toBe('least-conn');
    // A change to what the workers run still replaces them.
    const replaced = await stack.applySpec({ ...spec, apps: [{ ...app, env: { EXTRA: '1' } }] });
    expect(replaced).toEqual(['reloaded api with its new settings']);
    const pidsAfter = stack.processes().map((p) => p.pid);
    for (const [, , pid] of before) expect(pidsAfter).not.toContain(pid);
  });

  it('has running workers follow a restart policy changed in place: after the edit a killed worker stays down', async () => {
    const app = fixtureApp('api', 'http-worker.js', { restart: 'always' });
    const spec = fixtureStack([app]);
    const stack = await startStack(spec);
    await ready(stack, ['api-1']);
    const before = stack.processes()[0]!;

    expect(await stack.applySpec({ ...spec, apps: [{ ...app, restart: 'never' }] })).toEqual(["updated api's settings in place (no worker replaced)"]);
    expect(stack.processes()[0]?.id).toBe(before.id);

    stack.killWorker('api-1');
    // With `always` the crash goes on to backoff in the same turn; with `never` it rests.
    const after = await waitFor(() => {
      const info = stack.processes()[0];
      return info && info.pid !== before.pid && info.state !== 'ready' ? info : undefined;
    }, 'api-1 seen down after the kill');
    expect(after.state).toBe('crashed');
  });
});
