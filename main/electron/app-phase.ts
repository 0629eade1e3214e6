// The desktop app's life as one phase and a transition table, as the supervisor's states are: no
// stack opens before launch is done or once a quit began, and a quit asked for again escalates from
// a graceful stop to a kill, never back.

/** `launching` until the app is ready and its preferences read; a quit stops the stack, a second one kills it. */
export type AppPhase = 'launching' | 'running' | 'stopping' | 'killing' | 'quit';

/** Every move the app may make; anything else is refused. */
const TRANSITIONS: { readonly [From in AppPhase]: readonly AppPhase[] } = {
  // A quit asked for before launch is done stops whatever launch started.
  launching: ['running', 'stopping'],
  running: ['stopping'],
  stopping: ['killing', 'quit'],
  killing: ['quit'],
  quit: [],
};

/** The app's current phase; it only moves along the table. */
export class AppPhases {
  private phase: AppPhase = 'launching';

  get current(): AppPhase {
    return this.phase;
  }

  /** Moves to `next` when the table allows it from here; false, and no move, otherwise. */
  moveTo(next: AppPhase): boolean {
    if (!TRANSITIONS[this.phase].includes(next)) return false;
    this.phase = next;
    return true;
  }
}
