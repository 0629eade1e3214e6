// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { renderView } from '../../testing/render.tsx';
import { StackView } from './StackView.tsx';

installDom();

describe('StackView', () => {
  it('shows the stack file, the routes and the apps', () => {
    renderView(<StackView />);
    expect(screen.getByTestId('stack-file').textContent).toBe('/srv/shop/switchyard.yaml');
    expect(within(screen.getByTestId('routes')).getAllByRole('row')).toHaveLength(3);
    expect(within(screen.getByTestId('apps')).getByText('node server.js')).toBeTruthy();
  });

  it('reads the stack file again and shows a refusal', async () => {
    const { client } = renderView(<StackView />);
    client.respond('reloadStackFile', () => ({ time: 0, applied: false, message: 'switchyard.yaml:3:1: error: bad' }));
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Reload stack file' })));
    expect(client.callsTo('reloadStackFile')).toHaveLength(1);
    expect(screen.getByTestId('config-outcome').textContent).toContain('error: bad');
  });

  it('asks before shutting the stack down', async () => {
    const { client } = renderView(<StackView />);
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Shut down stack' })));
    expect(client.callsTo('shutdown')).toEqual([]);
    await act(async () => fireEvent.click(screen.getByTestId('confirm-action')));
    expect(client.callsTo('shutdown')).toEqual([[]]);
  });
});
