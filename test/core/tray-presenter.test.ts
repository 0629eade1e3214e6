// What the tray says, in plain Node on real stacks: the summary is announced only when its state or
// line changes; a crash loop is one notice, a kill asked for is none; a stack on its way down keeps
// its last summary until it is gone; a stack-wide action names what failed.

import { afterEach, describe, expect, it } from 'vitest';
import type { StackSummary } from '../../main/core/health/stack-state.ts';
import { ControlHub } from '../../main/core/control/control-api.ts';
import { TrayPresenter, type Notice } from '../../main/core/host/tray-presenter.ts';
import { Stack } from '../../main/core/stack.ts';
import type { AppSpec } from '../../shared/stack.ts';
import { fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor, waitForState } from '../helpers/wait.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A presenter following a stack of `apps`, started, recording what it announces. */
async function presented(apps: AppSpec[]) {
  const stack = new Stack(fixtureStack(apps));
  const presenter = new TrayPresenter();
  const summaries: (StackSummary | null)[] = [];
  const notices: Notice[] = [];
  let changes = 0;
  const counting = stack.onProcessChange(() => changes++);
  presenter.onSummary((summary) => summaries.push(summary));
  presenter.onNotice((notice) => notices.push(notice));
  cleanups.push(async () => {
    counting.dispose();
    presenter.dispose();
    await stack.kill();
  });
  presenter.follow(stack);
  expect(presenter.summary).toBeNull();
  await stack.start();
  return { stack, presenter, summaries, notices, changes: () => changes };
}

describe('TrayPresenter', () => {
  it('announces the summary when its state or line changes, and only then', async () => {
    const { stack, presenter, summaries, changes } = await presented([fixtureApp('api', 'graceful.js', { replicas: 3 })]);
    await waitFor(() => presenter.summary?.label === 'running · 3 of 3 ready', 'every worker ready');
    expect(summaries.at(-1)).toEqual({ state: 'running', ready: 3, total: 3, label: 'running · 3 of 3 ready' });
    for (let i = 1; i < summaries.length; i++) {
      expect(summaries[i]).not.toEqual(summaries[i - 1]);
    }
    // Workers entering `starting` one after another leave "starting · 0 of 3 ready" as it was.
    expect(changes()).toBeGreaterThan(summaries.length);
    // On its way down, the stack keeps its last summary; once gone, there is none.
    presenter.unfollow();
    await stack.stop();
    expect(presenter.summary?.label).toBe('running · 3 of 3 ready');
    presenter.clear();
    expect(presenter.summary).toBeNull();
    expect(summaries.at(-1)).toBeNull();
  });

  it('gives one notice for a crash loop, and none for kills a person asked for', async () => {
    const { stack, notices } = await presented([
      fixtureApp('api', 'graceful.js'),
      fixtureApp('bad', 'crash-now.js', { restart: 'always', backoff: { initial: 100, max: 200 }, maxRestarts: 100 }),
    ]);
    await waitFor(() => notices.length > 0, 'a crash-loop notice', { timeout: 15_000 });
    const restarts = () => stack.processes().find((p) => p.name === 'bad-1')?.restarts ?? 0;
    const atNotice = restarts();
    await waitFor(() => restarts() >= atNotice + 2, 'two more crashes of bad', { timeout: 15_000 });
    expect(notices).toEqual([{ title: 'bad is crash-looping', body: expect.stringMatching(/^bad keeps crashing: \d+ crashes in /) }]);

    // Killing a healthy worker three times on purpose is no crash loop.
    let killed: number | null = null;
    const readyAgain = () =>
      waitFor(() => {
        const api = stack.processes().find((p) => p.name === 'api-1');
        return api?.state === 'ready' && api.pid !== killed;
      }, 'api-1 ready with a new pid', { timeout: 15_000 });
    for (let i = 0; i < 3; i++) {
      await readyAgain();
      killed = stack.killWorker('api-1');
    }
    await readyAgain();
    expect(notices.map((notice) => notice.title)).toEqual(['bad is crash-looping']);
  });

  it('names what a stack-wide action could not do', async () => {
    const { stack, presenter, notices } = await presented([fixtureApp('api', 'graceful.js')]);
    await waitForState(stack, 'api-1', 'ready');
    const hub = new ControlHub(stack, { startedAt: Date.now(), onShutdown: () => {} });
    cleanups.push(() => hub.dispose());
    await presenter.actOnAll(hub.api, stack.spec, 'start');
    expect(notices).toEqual([]);
    // An app the stack does not have: its start fails, the others' do not.
    await presenter.actOnAll(hub.api, { ...stack.spec, apps: [...stack.spec.apps, fixtureApp('ghost', 'graceful.js')] }, 'start');
    expect(notices).toEqual([{ title: 'start failed for 1 of 2', body: expect.stringMatching(/^ghost: /) }]);
  });
});
