// @vitest-environment jsdom
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { snapshot } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { ConfigNotice } from './ConfigNotice.tsx';

installDom();

describe('ConfigNotice', () => {
  it('says a refused stack file change was refused, with the message, and that the stack was kept', () => {
    renderView(<ConfigNotice />, { snapshot: snapshot({ config: { time: 0, applied: false, message: "switchyard.yaml:4:5: error: unknown key 'replica'" } }) });
    const notice = screen.getByRole('alert');
    expect(notice.textContent).toContain('refused');
    expect(notice.textContent).toContain("unknown key 'replica'");
    expect(notice.textContent).toContain('running stack was kept');
  });

  it('lists applied changes only where asked to', () => {
    const config = { time: 0, applied: true as const, changes: ['api: replicas 2 → 3'] };
    const { unmount } = renderView(<ConfigNotice />, { snapshot: snapshot({ config }) });
    expect(screen.queryByTestId('config-outcome')).toBeNull();
    unmount();
    renderView(<ConfigNotice showApplied />, { snapshot: snapshot({ config }) });
    expect(screen.getByTestId('config-outcome').textContent).toContain('api: replicas 2 → 3');
  });

  it('shows nothing before any change', () => {
    renderView(<ConfigNotice showApplied />);
    expect(screen.queryByTestId('config-outcome')).toBeNull();
  });
});
