// The top bar: which stack, where its proxy listens, whether the page is connected, and the
// theme and shortcut buttons.

import type { ConnectionState } from '../client/dashboard-client.ts';
import { useDashboard } from '../state/hooks.ts';
import { canChooseTheme, toggleTheme, useTheme } from '../ui/theme.ts';

const CONNECTION_LABEL: Record<ConnectionState['status'], string> = {
  connecting: 'connecting',
  open: 'connected',
  closed: 'reconnecting',
  refused: 'refused',
};

export function Header(props: { connection: ConnectionState; onShowShortcuts: () => void }) {
  const status = useDashboard((state) => state.status);
  const theme = useTheme();
  const listen = status?.spec.proxy?.listen;
  const proxyUrl = listen ? `http://${listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host}:${listen.port}` : null;
  const other = theme === 'dark' ? 'light' : 'dark';
  const state = props.connection.status;
  return (
    <header className="header">
      <div className="brand" aria-hidden="true">
        <svg width="18" height="18" viewBox="0 0 18 18">
          <path d="M2 4h5l4 10h5M2 14h5l1.5-3.5M11.5 7.5 13 4h3" fill="none" stroke="currentColor" strokeWidth="1.8" />
        </svg>
        <span>Switchyard</span>
      </div>
      <h1 className="stack-name" data-testid="stack-name" title={status?.file}>
        {status?.name ?? '…'}
      </h1>
      {proxyUrl && (
        <a className="proxy-url mono" href={proxyUrl} target="_blank" rel="noreferrer" data-testid="proxy-url">
          {proxyUrl}
        </a>
      )}
      <span className="spacer" />
      <span className={`connection connection-${state}`} data-testid="connection-state" data-state={state} role="status" title={props.connection.status === 'closed' || props.connection.status === 'refused' ? props.connection.reason : undefined}>
        <span className="dot" aria-hidden="true" />
        {CONNECTION_LABEL[state]}
      </span>
      {canChooseTheme() && (
        <button type="button" className="icon" onClick={toggleTheme} aria-label={`Switch to ${other} theme`} title={`Switch to ${other} theme (t)`} data-testid="theme-toggle" data-theme={theme}>
          {theme === 'dark' ? '☾' : '☀'}
        </button>
      )}
      <button type="button" className="icon" onClick={props.onShowShortcuts} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" data-testid="shortcuts-button">
        ?
      </button>
    </header>
  );
}
