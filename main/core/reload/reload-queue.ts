// One reload of a pool at a time: the requests that arrive while one runs (a save during a reload)
// are all answered by exactly one more full reload after it, which replaces processes if any of
// them asked for that (a changed command is not something a reload signal can apply).

import { SwitchyardError } from '../errors.ts';

/** A reload that a request waits for, before it has begun. */
interface Pending {
  replace: boolean;
  promise: Promise<string[]>;
  begin(run: () => Promise<string[]>): void;
}

/** Runs a pool's reloads one at a time. */
export class ReloadQueue {
  private running: Promise<string[]> | null = null;
  private pending: Pending | null = null;
  private readonly reloadAll: (replace: boolean) => Promise<string[]>;
  private readonly stopping: () => boolean;

  /** `reloadAll` reloads every member (what the extra reload does); `replace` asks for new processes whatever the pool's reload signal. */
  constructor(reloadAll: (replace: boolean) => Promise<string[]>, stopping: () => boolean) {
    this.reloadAll = reloadAll;
    this.stopping = stopping;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves once no reload runs, the extra one included (a worker's recycling waits so, rather than ask for another). */
  async idle(): Promise<void> {
    while (this.running) await this.running.then(ignore, ignore);
  }

  /**
   * Runs `reload` now; while another runs, waits for one more full reload after it (a reload that
   * began before the request cannot have seen what it asks to apply).
   */
  run(reload: () => Promise<string[]>, replace = false): Promise<string[]> {
    if (!this.running) return this.begin(reload);
    this.pending ??= pendingReload();
    this.pending.replace ||= replace;
    return this.pending.promise;
  }

  private begin(reload: () => Promise<string[]>): Promise<string[]> {
    const running = reload().finally(() => {
      this.running = null;
      const next = this.pending;
      this.pending = null;
      if (!next) return;
      next.begin(() => {
        if (this.stopping()) return Promise.reject(new SwitchyardError('bad-request', 'the stack is stopping'));
        return this.begin(() => this.reloadAll(next.replace));
      });
    });
    this.running = running;
    return running;
  }
}

function pendingReload(): Pending {
  let begin!: (run: () => Promise<string[]>) => void;
  const promise = new Promise<string[]>((resolve, reject) => {
    begin = (run) => run().then(resolve, reject);
  });
  // Every request holds this promise and hears of a failure; none may go unhandled meanwhile.
  promise.catch(() => {});
  return { replace: false, promise, begin };
}

function ignore(): void {}
