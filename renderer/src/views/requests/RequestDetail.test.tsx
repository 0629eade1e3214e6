// @vitest-environment jsdom
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { accessRecord, logLine, snapshot, T0 } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { RequestDetail } from './RequestDetail.tsx';

installDom();

describe('RequestDetail', () => {
  it('picks up worker lines that arrive after the request was selected', () => {
    const record = accessRecord({ time: T0 + 5000, worker: 'api-1' });
    const { emit } = renderView(<RequestDetail record={record} onClose={() => {}} />, { snapshot: snapshot({ logs: [logLine('early', { time: T0 })] }) });
    expect(screen.getByTestId('request-logs-empty')).toBeTruthy();
    emit([{ topic: 'logs', data: [logLine('late line', { source: 'api-1', time: T0 + 6000 })] }]);
    expect(screen.getByTestId('request-log-line').textContent).toContain('late line');
  });
});
