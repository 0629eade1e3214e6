// Everything one run of a worker started: its process group, and the descendants that left the
// group but carry the run's marker (or, off Linux, were seen while the worker lived). The
// supervisor finds them itself when it stops or reaps, so nothing depends on a metrics sample.

import { groupHasLiveMembers, isAlive, killMarked, killTree, markedProcesses, signalGroup, signalProcess, unmarkedDescendants } from './process-tree.ts';

/** The processes of one run, by its worker's pid (the leader of its group) and its marker. */
export class RunTree {
  private readonly pid: number;
  private readonly marker: string;
  /** Descendants no marker will find, seen when a stop began. */
  private unmarked: number[] = [];

  constructor(pid: number, marker: string) {
    this.pid = pid;
    this.marker = marker;
  }

  /**
   * The graceful stop of a live worker: `signal` to its main process only, as a pre-fork master
   * (gunicorn, uvicorn --workers, php-fpm) expects, so that it stops its own children in its own
   * order; they hear nothing from us meanwhile. If the worker has not `exited` within `timeout`
   * (`onTimeout` is told first), all of it gets SIGKILL. What it leaves behind when it exits in time
   * has no master left to stop it: that gets `signal` then, and SIGKILL at the same deadline.
   * Resolves once the worker is gone and so is what it started.
   */
  async stop(signal: NodeJS.Signals, timeout: number, exited: Promise<void>, onTimeout: () => void): Promise<void> {
    const deadline = Date.now() + timeout;
    this.unmarked = await unmarkedDescendants(this.pid);
    signalProcess(this.pid, signal);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      onTimeout();
      void this.kill();
    }, timeout);
    await exited;
    clearTimeout(timer);
    if (!timedOut && this.lingers()) {
      signalGroup(this.pid, signal);
      // Descendants that left the group do not get the group's signal; they get their own.
      for (const escaped of this.escaped()) signalProcess(escaped, signal);
    }
    while (Date.now() < deadline && this.lingers()) await new Promise((resolve) => setTimeout(resolve, 50));
    await this.reap();
  }

  /** SIGKILLs all of it, the worker included: only while the worker lives, as its pid is not ours after. */
  async kill(): Promise<void> {
    await killTree(this.pid, this.unmarked);
    this.killEscaped();
  }

  /** SIGKILLs whatever carries the run's marker. */
  killEscaped(): void {
    killMarked(this.marker);
  }

  /** Once the worker is gone, whatever it started and left behind dies with it: no orphans. */
  async reap(): Promise<void> {
    const survivors = this.unmarked.filter(isAlive);
    this.unmarked = [];
    if (groupHasLiveMembers(this.pid) || survivors.length > 0) await killTree(this.pid, survivors);
    this.killEscaped();
  }

  /** Whether anything the worker started still lives (in its group, or escaped). */
  private lingers(): boolean {
    return groupHasLiveMembers(this.pid) || this.escaped().length > 0;
  }

  /** Live marked descendants outside the worker's group. */
  private escaped(): number[] {
    return markedProcesses(this.marker)
      .filter((each) => each.pgid !== this.pid)
      .map((each) => each.pid);
  }
}
