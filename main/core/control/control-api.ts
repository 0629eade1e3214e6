// The core's implementation of the control contract, over a Stack.

import type { ControlApi, LogQuery, StackStatus } from '../../../shared/api.ts';
import type { Stack } from '../stack.ts';

/** Default number of lines `logs` returns. */
export const DEFAULT_LOG_TAIL = 200;

/** Binds the contract's methods to a running stack. `onShutdown` starts the stop of the whole instance. */
export function createControlApi(stack: Stack, options: { startedAt: number; onShutdown: () => void }): ControlApi {
  const status: StackStatus = { name: stack.spec.name, file: stack.spec.file, pid: process.pid, startedAt: options.startedAt, spec: stack.spec };
  return {
    status: async () => status,
    listProcesses: async () => stack.processes(),
    logs: async (query: LogQuery) =>
      stack.logs.query({
        sources: stack.logSources(query.name),
        tail: query.tail ?? DEFAULT_LOG_TAIL,
        ...(query.after === undefined ? {} : { after: query.after }),
      }),
    restart: (target) => stack.restart(target),
    reload: (target) => stack.reload(target),
    scale: (app, replicas) => stack.scale(app, replicas),
    shutdown: async () => {
      // Answer first; the stop runs after the reply is on its way.
      setImmediate(options.onShutdown);
    },
  };
}
