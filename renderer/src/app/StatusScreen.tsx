// The whole page when there is nothing to show yet: connecting, or refused for the token.

import type { ConnectionState } from '../client/dashboard-client.ts';

export function StatusScreen(props: { connection: ConnectionState }) {
  const connection = props.connection;
  if (connection.status === 'refused') {
    return (
      <div className="status-screen" role="alert" data-testid="refused">
        <h2>Not allowed in</h2>
        <p>The Switchyard core refused this page: {connection.reason}.</p>
        <p className="dim">
          Run <code>switchyard up</code> and open the dashboard address it prints (it carries the token), or find the token in{' '}
          <code>.switchyard/run.json</code> beside the stack file.
        </p>
      </div>
    );
  }
  return (
    <div className="status-screen" role="status" data-testid="loading">
      <div className="spinner" aria-hidden="true" />
      <h2>Connecting to the Switchyard core…</h2>
      <p className="dim">{connection.status === 'closed' ? `Not answering yet (${connection.reason}).` : 'Waiting for the first picture of the stack.'}</p>
    </div>
  );
}
