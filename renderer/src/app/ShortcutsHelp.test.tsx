// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { installDom } from '../testing/dom.ts';
import { ShortcutsHelp } from './ShortcutsHelp.tsx';

installDom();

describe('ShortcutsHelp', () => {
  it('lists every shortcut and closes', () => {
    const onClose = vi.fn();
    render(<ShortcutsHelp onClose={onClose} />);
    const dialog = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    for (const key of ['1 – 7', '/', 'f', 't', '?']) expect(dialog.textContent).toContain(key);
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close' }));
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(onClose).toHaveBeenCalled();
  });
});
