// The left nav; each entry shows its shortcut, and Overview counts processes in trouble.

import { useMemo } from 'react';
import { useDashboard } from '../state/hooks.ts';
import type { ViewId } from './context.ts';
import { VIEWS } from './context.ts';

const TROUBLE = new Set(['unhealthy', 'crashed', 'backoff', 'failed', 'blocked']);

export function Nav(props: { view: ViewId; onSelect: (view: ViewId) => void }) {
  const processes = useDashboard((state) => state.processes);
  const trouble = useMemo(() => [...processes.values()].filter((process) => TROUBLE.has(process.state)).length, [processes]);
  return (
    <nav className="nav" aria-label="Views">
      {VIEWS.map((view) => (
        <button
          key={view.id}
          type="button"
          className="nav-item"
          aria-current={props.view === view.id ? 'page' : undefined}
          onClick={() => props.onSelect(view.id)}
          data-testid={`nav-${view.id}`}
          title={`${view.label} (${view.key})`}
        >
          <span>{view.label}</span>
          {view.id === 'overview' && trouble > 0 && (
            <span className="badge badge-bad" data-testid="nav-trouble" aria-label={`${trouble} in trouble`}>
              {trouble}
            </span>
          )}
          <kbd aria-hidden="true">{view.key}</kbd>
        </button>
      ))}
    </nav>
  );
}
