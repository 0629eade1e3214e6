// @vitest-environment jsdom
import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { installDom } from '../testing/dom.ts';
import { renderView } from '../testing/render.tsx';
import { Nav } from './Nav.tsx';

installDom();

describe('Nav', () => {
  it('marks the current view and selects another', () => {
    const onSelect = vi.fn();
    renderView(<Nav view="requests" onSelect={onSelect} />);
    expect(screen.getByTestId('nav-requests').getAttribute('aria-current')).toBe('page');
    expect(screen.getByTestId('nav-logs').getAttribute('aria-current')).toBeNull();
    fireEvent.click(screen.getByTestId('nav-load'));
    expect(onSelect).toHaveBeenCalledWith('load');
    expect(screen.queryByTestId('nav-trouble')).toBeNull();
  });
});
