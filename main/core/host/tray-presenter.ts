// What the tray says about the hosted stack: its summary (the icon's state and the tooltip's line),
// announced only when that state or line changes, and the notices worth a system notification: an
// app that keeps crashing, or that Switchyard stopped restarting. Plain Node, so what it says is
// tested without Electron; the shell only draws it.

import type { ControlApi } from '../../../shared/api.ts';
import type { StackSpec } from '../../../shared/stack.ts';
import { DisposableStore, Emitter, type Disposable } from '../events.ts';
import { CrashLoopDetector, summarizeStack, type CrashLoop, type StackSummary } from '../health/stack-state.ts';
import type { Stack } from '../stack.ts';

/** A system notification to show. */
export interface Notice {
  title: string;
  body: string;
}

/** The stack's summary for the tray, and its notices. */
export class TrayPresenter implements Disposable {
  private current: StackSummary | null = null;
  private readonly following = new DisposableStore();
  private readonly _onSummary = new Emitter<StackSummary | null>();
  /** Fires when the summary's state or line changes (null: no stack to sum up). */
  readonly onSummary = this._onSummary.event;
  private readonly _onNotice = new Emitter<Notice>();
  /** Fires with each notice worth a notification. */
  readonly onNotice = this._onNotice.event;

  /** What the tray shows now: null before the followed stack's first change, and with no stack. */
  get summary(): StackSummary | null {
    return this.current;
  }

  /** Sums up `stack` from its next change on, and watches it for crash loops. */
  follow(stack: Stack): void {
    this.following.dispose();
    this.show(null);
    const loops = this.following.add(new CrashLoopDetector());
    this.following.add(loops.onCrashLoop((loop) => this._onNotice.fire(crashLoopNotice(loop))));
    this.following.add(
      stack.onProcessChange((change) => {
        loops.observe(change);
        this.show(summarizeStack(stack.processes()));
      }),
    );
  }

  /** Stops listening, keeping the last summary: a stack on its way down shows what it last was. */
  unfollow(): void {
    this.following.dispose();
  }

  /** No stack is open. */
  clear(): void {
    this.following.dispose();
    this.show(null);
  }

  /** Starts, stops or reloads (rolling) every app, static site and the proxy; a notice names what failed. */
  async actOnAll(api: ControlApi, spec: StackSpec, action: 'start' | 'stop' | 'reload'): Promise<void> {
    const apps = [...spec.statics.map((site) => site.name), ...spec.apps.map((entry) => entry.name)];
    // A reload renews the workers behind a steady proxy; start and stop cover the proxy too.
    const targets = action === 'reload' || !spec.proxy ? apps : ['proxy', ...apps];
    const results = await Promise.allSettled(targets.map((target) => api[action](target)));
    const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [`${targets[i]}: ${(result.reason as Error).message}`] : []));
    if (failures.length > 0) this._onNotice.fire({ title: `${action} failed for ${failures.length} of ${targets.length}`, body: failures.join('\n') });
  }

  dispose(): void {
    this.following.dispose();
    this._onSummary.dispose();
    this._onNotice.dispose();
  }

  private show(next: StackSummary | null): void {
    if (next?.label === this.current?.label && next?.state === this.current?.state) return;
    this.current = next;
    this._onSummary.fire(next);
  }
}

function crashLoopNotice(loop: CrashLoop): Notice {
  return { title: loop.gaveUp ? `${loop.app} stopped restarting` : `${loop.app} is crash-looping`, body: loop.message };
}
