// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { REFUSED_MESSAGE } from '../client/dashboard-client.ts';
import { installDom } from '../testing/dom.ts';
import { StatusScreen } from './StatusScreen.tsx';

installDom();

describe('StatusScreen', () => {
  it('says it is connecting before the first snapshot', () => {
    render(<StatusScreen connection={{ status: 'connecting', attempt: 1 }} />);
    expect(screen.getByRole('status').textContent).toContain('Connecting to the Switchyard core');
  });

  it('says how to get in when refused', () => {
    render(<StatusScreen connection={{ status: 'refused', reason: REFUSED_MESSAGE }} />);
    expect(screen.getByRole('alert').textContent).toContain('token missing or wrong: open the URL `switchyard up` printed');
    expect(screen.getByRole('alert').textContent).toContain('.switchyard/run.json');
  });
});
