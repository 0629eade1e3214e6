// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { Counter } from './Counter.tsx';

installDom();

describe('Counter', () => {
  it('groups thousands and carries its tone', () => {
    render(<Counter label="failed" value={12345} testId="load-failed" tone="bad" />);
    expect(screen.getByTestId('load-failed').textContent).toBe('12,345');
    expect(screen.getByTestId('load-failed').parentElement?.className).toBe('counter counter-bad');
  });
});
