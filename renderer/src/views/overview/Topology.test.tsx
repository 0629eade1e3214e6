// @vitest-environment jsdom
import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installDom } from '../../testing/dom.ts';
import { appTraffic, processInfo, snapshot, trafficSample } from '../../testing/fixtures.ts';
import { renderView } from '../../testing/render.tsx';
import { Topology } from './Topology.tsx';

installDom();

describe('Topology', () => {
  it('draws the client, the proxy, each route, target and worker, coloured by state', async () => {
    const { emit } = renderView(<Topology />);
    for (const ref of ['client', 'proxy', '/api/', '/', 'api', 'web', 'api-1', 'api-2']) {
      expect(await screen.findByTestId(`topology-node-${ref}`)).toBeTruthy();
    }
    expect(screen.getByTestId('topology-node-api-2').dataset.tone).toBe('good');
    emit([{ topic: 'process', data: processInfo('api-2', { state: 'draining' }) }]);
    expect(screen.getByTestId('topology-node-api-2').dataset.tone).toBe('draining');
    emit([{ topic: 'process', data: processInfo('api-1', { state: 'crashed' }) }]);
    expect(screen.getByTestId('topology-node-api-1').dataset.tone).toBe('bad');
  });

  it('labels edges with the requests per second of the last sample', async () => {
    const { emit } = renderView(<Topology />);
    emit([{ topic: 'traffic', data: trafficSample(1000, { api: appTraffic({ requests: 42, workers: { 'api-1': 20, 'api-2': 22 } }) }) }]);
    expect(await screen.findByText('22/s')).toBeTruthy();
    expect(screen.getAllByText('42/s').length).toBeGreaterThan(0);
  });

  it('shows nothing for a stack without processes or routes', () => {
    const empty = snapshot({ processes: [], status: { ...snapshot().status, spec: { ...snapshot().status.spec, proxy: null, apps: [], statics: [] } } });
    renderView(<Topology />, { snapshot: empty });
    expect(screen.queryByTestId('topology')).toBeNull();
  });
});
