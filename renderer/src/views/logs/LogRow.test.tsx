// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { logLine } from '../../testing/fixtures.ts';
import { LogRow } from './LogRow.tsx';

installDom();

describe('LogRow', () => {
  it('places the line at its offset and gives workers of one app one colour', () => {
    render(
      <>
        <LogRow line={logLine('a', { source: 'api-1' })} top={40} />
        <LogRow line={logLine('b', { source: 'api-2' })} top={60} />
      </>,
    );
    const [first, second] = screen.getAllByTestId('log-line');
    expect(first?.style.transform).toBe('translateY(40px)');
    const colour = (row: HTMLElement | undefined) => row?.querySelector('.log-source')?.className;
    expect(colour(first)).toBe(colour(second));
  });

  it('renders markup in a line as text', () => {
    render(<LogRow line={logLine('<img src=x onerror=alert(1)>')} top={0} />);
    expect(screen.getByTestId('log-line').querySelector('img')).toBeNull();
    expect(screen.getByTestId('log-line').textContent).toContain('<img src=x onerror=alert(1)>');
  });
});
