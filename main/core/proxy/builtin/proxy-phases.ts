// A proxy process's phases, seen from the core: the only place that says which phase may follow
// which. The phases follow the listener: a fresh process is configured, then listens (or takes the
// listener over from the one it replaces), and the one it replaces hands the listener over, retires
// and goes idle. Any phase ends in `down` when the process ends; its supervisor's next run starts
// again from there.

/** Where one proxy process is in its life. */
export type ProxyPhase = 'down' | 'spawned' | 'configured' | 'listening' | 'handing-over' | 'retiring' | 'idle';

/** For each phase, the phases a proxy process may move to next. */
export const PHASE_TRANSITIONS: Readonly<Record<ProxyPhase, readonly ProxyPhase[]>> = {
  // No process: not spawned yet, or the last one ended.
  down: ['spawned'],
  // Up with an IPC channel; configured once it says hello.
  spawned: ['configured', 'idle', 'down'],
  // Sent its first configuration, so membership updates make sense to it; told to listen, or given
  // the listener of the proxy it replaces.
  configured: ['listening', 'idle', 'down'],
  // Accepts on the listener.
  listening: ['handing-over', 'idle', 'down'],
  // Sent a copy of its listener to the next proxy and keeps accepting until that one does; back to
  // `listening` when the next one failed to take over.
  'handing-over': ['retiring', 'listening', 'idle', 'down'],
  // The next proxy accepts: no new connections here, the requests under way finish.
  retiring: ['idle', 'down'],
  // Finished its requests (after `retire`, or a SIGTERM from anywhere) and exits next.
  idle: ['down'],
};

/** Phases whose process has said it listens, until it ends: its health check may pass. */
export const LISTENED_PHASES: readonly ProxyPhase[] = ['listening', 'handing-over', 'retiring'];

/** Phases whose process holds a configuration: it gets membership updates and reports drained members. */
export const CONFIGURED_PHASES: readonly ProxyPhase[] = ['configured', 'listening', 'handing-over', 'retiring', 'idle'];

/** Phases in which the core waits for the process to finish its requests. */
export const FINISHING_PHASES: readonly ProxyPhase[] = ['handing-over', 'retiring'];

/** Thrown when code asks for a move the table does not allow: always a bug in Switchyard. */
export class IllegalPhaseError extends Error {
  constructor(from: ProxyPhase, to: ProxyPhase) {
    super(`proxy: illegal phase transition ${from} -> ${to}`);
    this.name = 'IllegalPhaseError';
  }
}

/** Whether the table allows `from -> to`. */
export function canMove(from: ProxyPhase, to: ProxyPhase): boolean {
  return PHASE_TRANSITIONS[from].includes(to);
}
