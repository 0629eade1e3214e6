// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { installDom } from '../testing/dom.ts';
import { Toasts } from './Toasts.tsx';

installDom();

describe('Toasts', () => {
  it('announces errors as alerts and news as status', () => {
    const onDismiss = vi.fn();
    render(
      <Toasts
        toasts={[
          { id: 1, kind: 'info', message: 'Restarted api-2' },
          { id: 2, kind: 'error', message: 'Kill api-9 failed: no such worker' },
        ]}
        onDismiss={onDismiss}
      />,
    );
    expect(screen.getByRole('alert').textContent).toContain('no such worker');
    expect(screen.getByRole('status').textContent).toContain('Restarted api-2');
    fireEvent.click(screen.getAllByRole('button', { name: 'Dismiss' })[1] as HTMLElement);
    expect(onDismiss).toHaveBeenCalledWith(2);
  });
});
