// The log view's controls: which process, a regex search (debounced, and told when it is not a
// regex), stderr only, follow, copy.

import { useEffect, useMemo, useRef, useState } from 'react';
import type { ProcessInfo } from '../../../../shared/process.ts';
import type { LogFilter } from '../../state/log-filter.ts';
import { compileSearch } from '../../state/log-filter.ts';
import { groupProcesses } from '../overview/process-model.ts';

const SEARCH_DEBOUNCE_MS = 150;

function sourceValue(source: LogFilter['source']): string {
  return source ? `${source.kind}:${source.name}` : '';
}

function parseSource(value: string): LogFilter['source'] {
  const match = /^(process|app):(.+)$/.exec(value);
  return match ? { kind: match[1] as 'process' | 'app', name: match[2] as string } : null;
}

export function LogToolbar(props: {
  filter: LogFilter;
  onFilter: (update: (filter: LogFilter) => LogFilter) => void;
  processes: ReadonlyMap<string, ProcessInfo>;
  follow: boolean;
  onFollow: (follow: boolean) => void;
  onCopy: () => void;
  focusSearch: number;
  summary: string;
}) {
  const { filter, onFilter } = props;
  const [search, setSearch] = useState(filter.search);
  const input = useRef<HTMLInputElement>(null);
  const error = useMemo(() => compileSearch(search).error, [search]);
  const groups = useMemo(() => groupProcesses(props.processes, null), [props.processes]);

  useEffect(() => {
    if (search === filter.search) return;
    const timer = setTimeout(() => onFilter((current) => ({ ...current, search })), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [search, filter.search, onFilter]);

  useEffect(() => {
    if (props.focusSearch === 0) return;
    input.current?.focus();
    input.current?.select();
  }, [props.focusSearch]);

  // A filter on a process that has left the stack stays selectable until changed.
  const selected = sourceValue(filter.source);
  const known = new Set<string>();

  return (
    <div className="toolbar" role="toolbar" aria-label="Log filters">
      <select
        aria-label="Process"
        data-testid="log-source"
        value={selected}
        onChange={(event) => {
          const source = parseSource(event.target.value);
          onFilter((current) => ({ ...current, source }));
        }}
      >
        <option value="">All processes</option>
        {groups.proxy && <option value={rememberOption(known, 'process:proxy')}>proxy</option>}
        {groups.statics.map((site) => (
          <option key={site.name} value={rememberOption(known, `process:${site.name}`)}>
            {site.name}
          </option>
        ))}
        {groups.apps.map((app) => [
          <option key={app.name} value={rememberOption(known, `app:${app.name}`)}>
            {app.name} (all workers)
          </option>,
          ...app.workers.map((worker) => (
            <option key={worker.name} value={rememberOption(known, `process:${worker.name}`)}>
              {'\u00a0\u00a0'}
              {worker.name}
            </option>
          )),
        ])}
        {selected && !known.has(selected) && <option value={selected}>{filter.source?.name} (gone)</option>}
      </select>
      <div className="search">
        <input
          ref={input}
          type="search"
          aria-label="Search logs"
          placeholder="Search (regex)   /"
          data-testid="log-search"
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          value={search}
          onChange={(event) => setSearch(event.target.value)}
        />
        {error && (
          <span className="field-error" role="alert" data-testid="log-search-error">
            Invalid regex: {error}
          </span>
        )}
      </div>
      <label className="check">
        <input type="checkbox" checked={filter.stderrOnly} onChange={(event) => onFilter((current) => ({ ...current, stderrOnly: event.target.checked }))} data-testid="log-stderr-only" />
        stderr only
      </label>
      <span className="spacer" />
      <span className="dim mono" data-testid="log-count">
        {props.summary}
      </span>
      <button type="button" aria-label="Follow logs" aria-pressed={props.follow} onClick={() => props.onFollow(!props.follow)} data-testid="log-follow" title="Follow new lines (f)">
        {props.follow ? 'Following' : 'Paused'}
      </button>
      <button type="button" aria-label="Copy lines" onClick={props.onCopy} data-testid="log-copy" title="Copy the lines shown (with the filter) to the clipboard">
        Copy
      </button>
    </div>
  );
}

function rememberOption(known: Set<string>, value: string): string {
  known.add(value);
  return value;
}
