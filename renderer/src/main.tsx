// The dashboard: inside the desktop app, the preload's bridge to the core; in a browser, the token
// from the URL and a WebSocket to the core that served the page.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { WS_PATH } from '../../shared/events.ts';
import { Dashboard } from './app/Dashboard.tsx';
import type { DashboardClient } from './client/dashboard-client.ts';
import { DesktopClient, desktopBridge } from './client/desktop-client.ts';
import { takeToken } from './client/token.ts';
import { httpProbe, WebSocketClient } from './client/ws-client.ts';
import { themeChosenByHost } from './ui/theme.ts';
import './styles.css';

function readToken(): string | null {
  try {
    return takeToken({ location, history, storage: sessionStorage });
  } catch {
    // Storage refused (a sandboxed frame): the fragment still works for this load.
    return new URLSearchParams(location.hash.slice(1)).get('token');
  }
}

function browserClient(): WebSocketClient {
  const token = readToken();
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const client = new WebSocketClient({ url: `${scheme}//${location.host}${WS_PATH}`, token, probe: httpProbe(location.origin, token) });
  client.start();
  // Back from sleep or a network change: no need to sit out the rest of the backoff.
  window.addEventListener('online', () => client.retryNow());
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) client.retryNow();
  });
  return client;
}

function appClient(): DashboardClient {
  const bridge = desktopBridge(window);
  if (!bridge) return browserClient();
  // The app's View › Theme decides, through the prefers-color-scheme it gives the page.
  themeChosenByHost();
  const client = new DesktopClient(bridge);
  client.start();
  return client;
}

const client = appClient();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <Dashboard client={client} />
  </StrictMode>,
);
