// @vitest-environment jsdom
import { act, fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../testing/dom.ts';
import { ActionButton } from './ActionButton.tsx';

installDom();

describe('ActionButton', () => {
  it('stays disabled while its action runs, so a double click runs it once', async () => {
    let runs = 0;
    let finish = () => {};
    render(
      <ActionButton
        label="Restart api-2"
        onRun={() => {
          runs++;
          return new Promise<void>((resolve) => (finish = resolve));
        }}
      >
        Restart
      </ActionButton>,
    );
    const button = screen.getByRole('button', { name: 'Restart api-2' });
    fireEvent.click(button);
    fireEvent.click(button);
    expect(runs).toBe(1);
    expect(button).toHaveProperty('disabled', true);
    await act(async () => finish());
    expect(button).toHaveProperty('disabled', false);
  });
});
