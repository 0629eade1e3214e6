// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { accessRecord } from '../../testing/fixtures.ts';
import { RequestRow } from './RequestRow.tsx';

installDom();

describe('RequestRow', () => {
  it('shows a request that got no status as ERR with its error, and selects on click', () => {
    const onSelect = vi.fn();
    const record = accessRecord({ status: 0, error: 'upstream timeout' });
    render(<RequestRow record={record} top={0} selected={false} onSelect={onSelect} />);
    const cell = screen.getByText('ERR');
    expect(cell.className).toContain('status-error');
    expect(cell.getAttribute('title')).toBe('upstream timeout');
    fireEvent.click(screen.getByTestId('request-row'));
    expect(onSelect).toHaveBeenCalledWith(record);
  });
});
