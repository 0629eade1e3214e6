// Every request through the proxy, newest first, as it happens: filter by text, status class and
// app; select one to see it in full with its worker's log around it.

import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useMemo, useRef, useState } from 'react';
import type { AccessRecord } from '../../../../shared/api.ts';
import { useDashboard } from '../../state/hooks.ts';
import { formatCount } from '../../ui/format.ts';
import type { RequestFilter } from './request-filter.ts';
import { filterRequests } from './request-filter.ts';
import { RequestDetail } from './RequestDetail.tsx';
import { REQUEST_ROW_HEIGHT, RequestRow } from './RequestRow.tsx';

const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error'];

export function RequestsView() {
  const ring = useDashboard((state) => state.access);
  const version = useDashboard((state) => state.accessVersion);
  const status = useDashboard((state) => state.status);
  const [filter, setFilter] = useState<RequestFilter>({ text: '', statusClass: '', app: '' });
  const [selected, setSelected] = useState<AccessRecord | null>(null);
  const records = useMemo(() => filterRequests(ring, filter), [ring, filter, version]);
  const apps = useMemo(() => {
    const names = new Set<string>([...(status?.spec.apps.map((app) => app.name) ?? []), ...(status?.spec.statics.map((site) => site.name) ?? [])]);
    for (let position = ring.start; position < ring.end; position++) {
      const app = ring.at(position)?.app;
      if (app) names.add(app);
    }
    return [...names].sort();
  }, [ring, status, version]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: records.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => REQUEST_ROW_HEIGHT,
    overscan: 10,
    getItemKey: (index) => records[index]?.seq ?? -index,
  });
  const select = useCallback((record: AccessRecord) => setSelected((current) => (current?.seq === record.seq ? null : record)), []);
  const listen = status?.spec.proxy?.listen;

  return (
    <div className="view requests" data-testid="view-requests">
      <div className="toolbar" role="toolbar" aria-label="Request filters">
        <input
          type="search"
          aria-label="Filter requests"
          placeholder="Filter: path, status, worker, request id…"
          value={filter.text}
          onChange={(event) => setFilter((current) => ({ ...current, text: event.target.value }))}
          data-testid="request-filter"
          spellCheck={false}
        />
        <select aria-label="Status class" value={filter.statusClass} onChange={(event) => setFilter((current) => ({ ...current, statusClass: event.target.value }))} data-testid="request-status-class">
          <option value="">All statuses</option>
          {STATUS_CLASSES.map((kind) => (
            <option key={kind} value={kind}>
              {kind === 'error' ? 'no answer' : kind}
            </option>
          ))}
        </select>
        <select aria-label="App" value={filter.app} onChange={(event) => setFilter((current) => ({ ...current, app: event.target.value }))} data-testid="request-app">
          <option value="">All apps</option>
          {apps.map((app) => (
            <option key={app} value={app}>
              {app}
            </option>
          ))}
        </select>
        <span className="spacer" />
        <span className="dim mono" data-testid="request-count">
          {records.length === ring.size ? formatCount(ring.size) : `${formatCount(records.length)} of ${formatCount(ring.size)}`} requests
        </span>
      </div>
      <div className="requests-body">
        <div className="request-table mono" role="table" aria-label="Requests" aria-rowcount={records.length}>
          <div role="row" className="request-row request-head">
            <span role="columnheader">Time</span>
            <span role="columnheader">Method</span>
            <span role="columnheader">Path</span>
            <span role="columnheader">Status</span>
            <span role="columnheader">Worker</span>
            <span role="columnheader" className="num">
              Latency
            </span>
            <span role="columnheader">Request id</span>
          </div>
          {ring.size === 0 ? (
            <div className="empty" data-testid="requests-empty">
              <h3>No requests yet</h3>
              <p>
                Send some through the proxy{listen ? ` at http://${listen.host}:${listen.port}` : ''}, or start a load test (press 5).
              </p>
            </div>
          ) : records.length === 0 ? (
            <div className="empty" data-testid="requests-no-match">
              <p>No request matches the filter.</p>
            </div>
          ) : null}
          <div ref={scroller} className="request-scroller" role="rowgroup" data-testid="request-list">
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {virtualizer.getVirtualItems().map((item) => {
                const record = records[item.index];
                return record ? <RequestRow key={item.key} record={record} top={item.start} selected={selected?.seq === record.seq} onSelect={select} /> : null;
              })}
            </div>
          </div>
        </div>
        {selected && <RequestDetail record={selected} onClose={() => setSelected(null)} />}
      </div>
    </div>
  );
}
