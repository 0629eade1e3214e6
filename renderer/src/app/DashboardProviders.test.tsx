// @vitest-environment jsdom
import { act, fireEvent, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../testing/dom.ts';
import { renderView } from '../testing/render.tsx';
import type { Actions } from './context.ts';
import { useActions } from './context.ts';

installDom();

let actions: Actions | null = null;
function Probe() {
  actions = useActions();
  return null;
}

describe('DashboardProviders', () => {
  it('runs an action after confirmation and resolves to its result', async () => {
    renderView(<Probe />);
    let result: unknown = 'pending';
    await act(async () => {
      void actions?.run('Kill api-1', async () => 4242, { title: 'Kill api-1?', body: 'really', confirmLabel: 'Kill api-1' }).then((value) => (result = value));
    });
    expect(result).toBe('pending');
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Kill api-1' })));
    expect(result).toBe(4242);
    expect(screen.queryByRole('alertdialog')).toBeNull();
  });

  it('resolves to undefined when cancelled with Escape', async () => {
    renderView(<Probe />);
    let result: unknown = 'pending';
    await act(async () => {
      void actions?.run('Stop api', async () => ['api-1'], { title: 'Stop api?', body: '', confirmLabel: 'Stop api' }).then((value) => (result = value));
    });
    await act(async () => void fireEvent.keyDown(window, { key: 'Escape' }));
    expect(result).toBeUndefined();
  });

  it('turns a failure into an error toast that can be dismissed', async () => {
    renderView(<Probe />);
    await act(async () => {
      await actions?.run('Reload api', async () => {
        throw new Error('api has no workers');
      });
    });
    expect(screen.getByRole('alert').textContent).toContain('Reload api failed: api has no workers');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
