// One reload of a pool at a time: a change that arrives while one runs (a save during a reload)
// is picked up by exactly one more reload after it, however many arrive.

/** Runs a pool's reloads one at a time. */
export class ReloadQueue {
  private running: Promise<string[]> | null = null;
  private again = false;
  private readonly reloadAll: () => Promise<string[]>;
  private readonly failed: (error: Error) => void;

  /**
   * `reloadAll` replaces every member (what the extra reload does); `failed` hears of an extra
   * reload that failed, since nobody waits on it.
   */
  constructor(reloadAll: () => Promise<string[]>, failed: (error: Error) => void) {
    this.reloadAll = reloadAll;
    this.failed = failed;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves once no reload runs, the extra one included (a worker's recycling waits so, rather than ask for another). */
  async idle(): Promise<void> {
    while (this.running) await this.running.then(ignore, ignore);
  }

  /** Runs `reload` now, or, while another runs, asks for one more full reload after it and returns the running one. */
  run(reload: () => Promise<string[]>, stopping: () => boolean): Promise<string[]> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const running = reload().finally(() => {
      this.running = null;
      if (!this.again) return;
      this.again = false;
      if (!stopping()) this.run(this.reloadAll, stopping).catch(this.failed);
    });
    this.running = running;
    return running;
  }
}

function ignore(): void {}
