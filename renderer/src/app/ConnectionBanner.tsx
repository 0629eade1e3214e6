// Shown while the core does not answer: the page keeps its last picture and says when it tries again.

import type { ConnectionState } from '../client/dashboard-client.ts';
import { NOT_ANSWERING } from '../client/dashboard-client.ts';
import { useNow } from '../ui/now.ts';

export function ConnectionBanner(props: { connection: Extract<ConnectionState, { status: 'closed' }>; onRetry: () => void }) {
  // The shared clock only makes this re-render each second; the countdown reads the time itself.
  useNow();
  const seconds = Math.max(0, Math.ceil((props.connection.retryAt - Date.now()) / 1000));
  return (
    <div className="banner banner-warn" role="alert" data-testid="connection-banner">
      <strong>Reconnecting…</strong> the Switchyard core is not answering; is <code>switchyard up</code> still running?
      <span className="banner-detail" data-testid="connection-retry">
        {seconds > 0 ? `retrying in ${seconds} s` : 'retrying now'}
        {props.connection.reason !== NOT_ANSWERING && ` (${props.connection.reason})`}
      </span>
      <button type="button" onClick={props.onRetry}>
        Retry now
      </button>
    </div>
  );
}
