// A client of the control API: the contract's methods, carried over HTTP to a running `up`, and
// the followed log stream.

import { forwardControlApi, type ControlApi, type ControlCall, type ControlCaller, type ControlReply, type LogQuery, type LogStreamItem, type RunFile } from '../../../shared/api.ts';
import { SwitchyardError } from '../errors.ts';

/** The contract's methods as a base class, so that a ControlClient is a ControlApi whose calls go over HTTP. */
const ForwardedApi = class {
  constructor(caller: ControlCaller) {
    Object.assign(this, forwardControlApi(caller));
  }
  // A class cannot declare members it gets from a list; forwardControlApi gives every one.
} as new (caller: ControlCaller) => ControlApi;

/** Talks to the instance described by a run file. */
export class ControlClient extends ForwardedApi {
  private readonly base: string;
  private readonly token: string;

  constructor(run: Pick<RunFile, 'port' | 'token'>) {
    const base = `http://127.0.0.1:${run.port}`;
    super((call) => post(base, run.token, call));
    this.base = base;
    this.token = run.token;
  }

  /** Follows the log stream until `signal` aborts or the instance goes away. */
  async followLogs(query: Pick<LogQuery, 'name' | 'tail'>, onItem: (item: LogStreamItem) => void, signal?: AbortSignal): Promise<void> {
    const params = new URLSearchParams();
    if (query.name) params.set('name', query.name);
    if (query.tail !== undefined) params.set('tail', String(query.tail));
    const response = await fetch(`${this.base}/v1/logs?${params}`, { headers: this.headers(), ...(signal ? { signal } : {}) });
    if (!response.ok || !response.body) throw await this.errorFrom(response);
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of response.body) {
        pending += decoder.decode(chunk, { stream: true });
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          const text = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (text) onItem(JSON.parse(text) as LogStreamItem);
          newline = pending.indexOf('\n');
        }
      }
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  }

  private headers(): Record<string, string> {
    return authorization(this.token);
  }

  private async errorFrom(response: Response): Promise<SwitchyardError> {
    try {
      const reply = (await response.json()) as ControlReply;
      if (!reply.ok) return new SwitchyardError(reply.error.code, reply.error.message);
    } catch {
      // Not our JSON.
    }
    return new SwitchyardError('internal', `control API answered ${response.status}`);
  }
}

/** One call on POST /v1/call; a refusal becomes a SwitchyardError with the core's code. */
async function post(base: string, token: string, call: ControlCall): Promise<unknown> {
  const response = await fetch(`${base}/v1/call`, {
    method: 'POST',
    headers: { ...authorization(token), 'content-type': 'application/json' },
    body: JSON.stringify(call),
  });
  const reply = (await response.json()) as ControlReply;
  if (!reply.ok) throw new SwitchyardError(reply.error.code, reply.error.message);
  return reply.result;
}

function authorization(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
