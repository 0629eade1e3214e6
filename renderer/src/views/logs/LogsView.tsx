// The merged log of every process, or one process's: virtualized (only the rows in sight exist),
// filtered incrementally (see state/log-filter.ts), following new lines until scrolled up.

import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useActions, useLogSettings } from '../../app/context.ts';
import { useDashboard } from '../../state/hooks.ts';
import type { LogView } from '../../state/log-filter.ts';
import { plainText } from '../../state/log-filter.ts';
import { copyText } from '../../ui/clipboard.ts';
import { formatClock, formatCount } from '../../ui/format.ts';
import { LOG_ROW_HEIGHT, LogRow } from './LogRow.tsx';
import { LogToolbar } from './LogToolbar.tsx';

/** Milliseconds of filtering a render may spend; the rest continues between frames. */
const RENDER_BUDGET_MS = 4;
const SLICE_BUDGET_MS = 12;

/** Keeps scanning a filtered view in slices until it has caught up; returns a counter that re-renders. */
function useScan(view: LogView, version: number): boolean {
  const caughtUp = view.advance(RENDER_BUDGET_MS);
  const [, setSlices] = useState(0);
  useEffect(() => {
    if (caughtUp) return;
    let timer: ReturnType<typeof setTimeout>;
    const slice = () => {
      const done = view.advance(SLICE_BUDGET_MS);
      setSlices((count) => count + 1);
      if (!done) timer = setTimeout(slice, 0);
    };
    timer = setTimeout(slice, 0);
    return () => clearTimeout(timer);
  }, [view, version, caughtUp]);
  return caughtUp;
}

export function LogsView() {
  const version = useDashboard((state) => state.logsVersion);
  const ring = useDashboard((state) => state.logs);
  const skipped = useDashboard((state) => state.logsSkipped);
  const processes = useDashboard((state) => state.processes);
  const settings = useLogSettings();
  const { filter, follow, setFollow } = settings;
  const { run, notify } = useActions();
  const view = settings.cache.view(filter);
  const caughtUp = useScan(view, version);
  const count = view.count;
  const scroller = useRef<HTMLDivElement>(null);

  // Rows are keyed by index, not seq: at the ring's capacity every batch shifts the lines under
  // the same rows, and updating a row's text is far cheaper than replacing its elements. A key
  // function would also be called for every held line on each change of count.
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scroller.current,
    estimateSize: () => LOG_ROW_HEIGHT,
    overscan: 10,
    // Scrolling re-renders with the next batch, not synchronously inside the scroll event.
    useFlushSync: false,
  });

  // Following: after every render that added lines, the newest is in view.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (follow && element) element.scrollTop = element.scrollHeight;
  }, [follow, count, version, view]);

  const onScroll = () => {
    const element = scroller.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= LOG_ROW_HEIGHT * 2;
    // Following only ever scrolls to the bottom, so anything else was the reader.
    if (!atBottom && follow) setFollow(false);
    else if (atBottom && !follow && element.scrollTop > 0) setFollow(true);
  };

  const copy = () =>
    run('Copy', async () => {
      const lines: string[] = [];
      for (let index = 0; index < view.count; index++) {
        const line = view.at(index);
        if (line) lines.push(`${formatClock(line.time)} ${line.source} ${plainText(line.text)}`);
      }
      await copyText(lines.join('\n'));
      notify(`Copied ${formatCount(lines.length)} line${lines.length === 1 ? '' : 's'}`);
    });

  const total = ring.size;
  const filtered = view.count !== total || filter.source !== null || filter.search !== '' || filter.stderrOnly;
  const summary = `${filtered ? `${formatCount(count)} of ${formatCount(total)}` : formatCount(total)} lines${caughtUp ? '' : ` · filtering ${Math.floor(view.progress * 100)}%`}`;

  return (
    <div className="view logs" data-testid="view-logs">
      <LogToolbar
        filter={filter}
        onFilter={settings.setFilter}
        processes={processes}
        follow={follow}
        onFollow={setFollow}
        onCopy={() => void copy()}
        focusSearch={settings.focusSearch}
        summary={summary}
      />
      {skipped > 0 && (
        <div className="banner banner-warn" data-testid="logs-skipped">
          {formatCount(skipped)} earlier line{skipped === 1 ? ' was' : 's were'} no longer kept by the core and could not be fetched.
        </div>
      )}
      <div className="log-frame">
        {total === 0 ? (
          <div className="empty" data-testid="logs-empty">
            <h3>No log lines yet</h3>
            <p>Whatever the processes print to stdout and stderr appears here as it is written, along with Switchyard&apos;s own notes (starts, exits, health).</p>
          </div>
        ) : count === 0 && caughtUp ? (
          <div className="empty" data-testid="logs-no-match">
            <h3>No line matches</h3>
            <p>{formatCount(total)} lines are held; none passes the filter.</p>
            <button type="button" onClick={() => settings.setFilter(() => ({ source: null, search: '', stderrOnly: false }))}>
              Clear the filter
            </button>
          </div>
        ) : null}
        <div
          ref={scroller}
          className="log-scroller mono"
          onScroll={onScroll}
          onWheel={(event) => {
            if (event.deltaY < 0 && follow) setFollow(false);
          }}
          data-testid="log-list"
          role="log"
          aria-label="Log lines"
          tabIndex={0}
        >
          <div className="log-canvas" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const line = view.at(item.index);
              return line ? <LogRow key={item.key} line={line} top={item.start} /> : null;
            })}
          </div>
        </div>
        {!follow && count > 0 && (
          <button type="button" className="jump-latest" onClick={() => setFollow(true)} data-testid="log-jump-latest">
            ↓ Jump to latest
          </button>
        )}
      </div>
    </div>
  );
}
