// @vitest-environment jsdom
import { act, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { FakeClient } from '../testing/fake-client.ts';
import { installDom } from '../testing/dom.ts';
import { renderView } from '../testing/render.tsx';
import { Shell } from './Shell.tsx';

installDom();

describe('Shell', () => {
  it('opens on the view it is given and dims the data while not connected', () => {
    const client = new FakeClient();
    renderView(<Shell client={client} initialView="stack" />, { client });
    expect(screen.getByTestId('view-stack')).toBeTruthy();
    expect(screen.getByRole('main').className).not.toContain('stale');
    act(() => client.setConnection({ status: 'connecting', attempt: 3 }));
    expect(screen.getByRole('main').className).toContain('stale');
  });

  it('shows the loading screen until the store has a snapshot', () => {
    renderView(<Shell client={new FakeClient()} initialView="overview" />, { snapshot: null });
    expect(screen.getByTestId('loading')).toBeTruthy();
  });
});
