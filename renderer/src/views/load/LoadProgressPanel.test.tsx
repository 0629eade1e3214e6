// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { loadProgress } from '../../testing/fixtures.ts';
import { LoadProgressPanel } from './LoadProgressPanel.tsx';

installDom();

describe('LoadProgressPanel', () => {
  it('shows how far the test has run and explains skipped requests', () => {
    render(<LoadProgressPanel progress={loadProgress({ elapsed: 5, skipped: 40, p50: null })} />);
    expect(screen.getByRole('progressbar', { name: 'Elapsed' }).getAttribute('aria-valuenow')).toBe('5');
    expect(screen.getByTestId('load-p50').textContent).toBe('—');
    expect(screen.getByText(/slower than the rate/)).toBeTruthy();
  });
});
