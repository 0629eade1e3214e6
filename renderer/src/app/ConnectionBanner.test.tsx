// @vitest-environment jsdom
import { act, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { installDom } from '../testing/dom.ts';
import { ConnectionBanner } from './ConnectionBanner.tsx';

installDom();

describe('ConnectionBanner', () => {
  afterEach(() => vi.useRealTimers());

  it('counts down to the next attempt and retries on request', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'Date'] });
    const onRetry = vi.fn();
    render(<ConnectionBanner connection={{ status: 'closed', reason: 'the Switchyard core is not answering', retryAt: Date.now() + 4000 }} onRetry={onRetry} />);
    expect(screen.getByTestId('connection-retry').textContent).toContain('retrying in 4 s');
    act(() => vi.advanceTimersByTime(2000));
    expect(screen.getByTestId('connection-retry').textContent).toContain('retrying in 2 s');
    act(() => vi.advanceTimersByTime(3000));
    expect(screen.getByTestId('connection-retry').textContent).toContain('retrying now');
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(onRetry).toHaveBeenCalled();
  });
});
