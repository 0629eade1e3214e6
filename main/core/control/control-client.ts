// A client of the control API: the same ControlApi interface, carried over HTTP to a running `up`.

import type { AccessQuery, ControlApi, ControlCall, ControlMethod, ControlReply, LoadSpec, LogQuery, LogStreamItem, RunFile } from '../../../shared/api.ts';
import { SwitchyardError } from '../errors.ts';

/** Talks to the instance described by a run file. */
export class ControlClient implements ControlApi {
  private readonly base: string;
  private readonly token: string;

  constructor(run: Pick<RunFile, 'port' | 'token'>) {
    this.base = `http://127.0.0.1:${run.port}`;
    this.token = run.token;
  }

  status = () => this.call({ method: 'status', args: [] });
  listProcesses = () => this.call({ method: 'listProcesses', args: [] });
  logs = (query: LogQuery) => this.call({ method: 'logs', args: [query] });
  access = (query: AccessQuery) => this.call({ method: 'access', args: [query] });
  start = (target: string) => this.call({ method: 'start', args: [target] });
  stop = (target: string) => this.call({ method: 'stop', args: [target] });
  restart = (target: string) => this.call({ method: 'restart', args: [target] });
  reload = (target: string) => this.call({ method: 'reload', args: [target] });
  scale = (app: string, replicas: number) => this.call({ method: 'scale', args: [app, replicas] });
  kill = (worker: string) => this.call({ method: 'kill', args: [worker] });
  reloadStackFile = () => this.call({ method: 'reloadStackFile', args: [] });
  loadTest = (spec: LoadSpec) => this.call({ method: 'loadTest', args: [spec] });
  stopLoadTest = (id: string) => this.call({ method: 'stopLoadTest', args: [id] });
  shutdown = () => this.call({ method: 'shutdown', args: [] });
  diagnostics = () => this.call({ method: 'diagnostics', args: [] });

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

  private async call<M extends ControlMethod>(call: ControlCall & { method: M }): Promise<Awaited<ReturnType<ControlApi[M]>>> {
    const response = await fetch(`${this.base}/v1/call`, {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/json' },
      body: JSON.stringify(call),
    });
    const reply = (await response.json()) as ControlReply<M>;
    if (!reply.ok) throw new SwitchyardError(reply.error.code, reply.error.message);
    return reply.result;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
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
