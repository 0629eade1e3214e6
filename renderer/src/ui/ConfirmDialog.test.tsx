// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { installDom } from '../testing/dom.ts';
import { ConfirmDialog } from './ConfirmDialog.tsx';

installDom();

describe('ConfirmDialog', () => {
  it('focuses Cancel, so Enter never confirms by accident, and answers', () => {
    const onAnswer = vi.fn();
    render(<ConfirmDialog confirmation={{ title: 'Kill api-2?', body: 'SIGKILL', confirmLabel: 'Kill api-2' }} onAnswer={onAnswer} />);
    expect(screen.getByRole('alertdialog', { name: 'Kill api-2?' })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Cancel' }));
    fireEvent.click(screen.getByRole('button', { name: 'Kill api-2' }));
    expect(onAnswer).toHaveBeenLastCalledWith(true);
    fireEvent.keyDown(window, { key: 'Escape' });
    expect(onAnswer).toHaveBeenLastCalledWith(false);
  });

  it('offers the gentler alternative as its own button: choosing it cancels the action and runs the other', () => {
    const onAnswer = vi.fn();
    const choose = vi.fn();
    render(
      <ConfirmDialog
        confirmation={{ title: 'Restart api?', body: 'All 3 at once', confirmLabel: 'Restart all 3', alternative: { label: 'Reload api', choose } }}
        onAnswer={onAnswer}
      />,
    );
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Cancel' }));
    fireEvent.click(screen.getByRole('button', { name: 'Reload api' }));
    expect(onAnswer).toHaveBeenLastCalledWith(false);
    expect(choose).toHaveBeenCalledOnce();
  });
});
