// @vitest-environment jsdom
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { snapshot } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { Overview } from './Overview.tsx';

installDom();

describe('Overview', () => {
  it('shows the processes and the topology, and a refused stack file on top', async () => {
    renderView(<Overview />, { snapshot: snapshot({ config: { time: 0, applied: false, message: 'bad yaml' } }) });
    expect(screen.getByTestId('process-table')).toBeTruthy();
    expect(await screen.findByTestId('topology-node-api-1')).toBeTruthy();
    expect(screen.getByTestId('config-outcome').textContent).toContain('bad yaml');
  });
});
