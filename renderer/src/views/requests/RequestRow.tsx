// One request in the live table.

import { memo } from 'react';
import type { AccessRecord } from '../../../../shared/api.ts';
import { formatClock, formatMs, statusClass } from '../../ui/format.ts';

export const REQUEST_ROW_HEIGHT = 24;

export const RequestRow = memo(function RequestRow(props: { record: AccessRecord; top: number; selected: boolean; onSelect: (record: AccessRecord) => void }) {
  const { record } = props;
  const kind = statusClass(record.status);
  return (
    <div
      role="row"
      className={`request-row${props.selected ? ' selected' : ''}`}
      style={{ transform: `translateY(${props.top}px)` }}
      aria-selected={props.selected}
      tabIndex={0}
      onClick={() => props.onSelect(record)}
      onKeyDown={(event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          props.onSelect(record);
        }
      }}
      data-testid="request-row"
      data-request-id={record.requestId}
      data-status={record.status}
    >
      <span role="cell" className="dim">
        {formatClock(record.time)}
      </span>
      <span role="cell">{record.method}</span>
      <span role="cell" className="path" title={record.path}>
        {record.path}
      </span>
      <span role="cell" className={`status status-${kind}`} title={record.error ?? undefined}>
        {record.status === 0 ? 'ERR' : record.status}
      </span>
      <span role="cell">{record.worker ?? '—'}</span>
      <span role="cell" className="num">
        {formatMs(record.duration)}
      </span>
      <span role="cell" className="dim request-id" title={record.requestId}>
        {record.requestId}
      </span>
    </div>
  );
});
