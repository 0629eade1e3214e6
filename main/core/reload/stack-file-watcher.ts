// `up` watches its stack file: a valid change is applied to the running stack without closing the
// proxy's listener; an invalid one is reported with every issue and the running stack is kept.

import { watch, type FSWatcher } from 'chokidar';
import { loadStack } from '../config/load.ts';
import { formatIssues } from '../config/plan.ts';
import type { StackSpec } from '../../../shared/stack.ts';
import type { Disposable } from '../events.ts';

/** What the watcher applies a change to (the Stack). */
export interface SpecTarget {
  readonly spec: StackSpec;
  readonly isStopping: boolean;
  /** The PATH the stack's processes get, where a changed file's programs are looked for. */
  readonly basePath: string;
  /** The environment the stack's processes get, whose variables a changed file's commands may name. */
  readonly baseEnvironment: Readonly<Record<string, string>>;
  /** Applies `next`, returning one line per change, or rejects keeping everything as it runs. */
  applySpec(next: StackSpec): Promise<string[]>;
}

/** Quiet time after the last write before the file is read (editors write in several steps). */
export const STACK_FILE_DEBOUNCE_MS = 200;

/** What happened to one change of the stack file. */
export type StackFileOutcome =
  | { applied: true; changes: string[] }
  | { applied: false; message: string };

/** Applies every saved change of the stack file to `stack`. */
export class StackFileWatcher implements Disposable {
  private readonly watcher: FSWatcher;
  private timer: NodeJS.Timeout | null = null;
  /** Changes are applied one at a time, in order. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly file: string;
  private readonly stack: SpecTarget;
  private readonly report: (outcome: StackFileOutcome) => void;
  readonly ready: Promise<void>;

  constructor(file: string, stack: SpecTarget, report: (outcome: StackFileOutcome) => void, debounceMs = STACK_FILE_DEBOUNCE_MS) {
    this.file = file;
    this.stack = stack;
    this.report = report;
    this.watcher = watch(file, { ignoreInitial: true });
    const changed = () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.applyNow();
      }, debounceMs);
    };
    this.watcher.on('change', changed).on('add', changed);
    this.watcher.on('error', () => {});
    this.ready = new Promise((resolve) => this.watcher.once('ready', () => resolve()));
  }

  /** Reads and applies the file now (after any change already under way), and reports the outcome too. */
  applyNow(): Promise<StackFileOutcome> {
    const outcome = this.queue.then(() => apply(this.file, this.stack));
    // One failed read must not stop the changes after it.
    this.queue = outcome.then(this.report).catch(() => {});
    return outcome;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    void this.watcher.close();
  }
}

async function apply(file: string, stack: SpecTarget): Promise<StackFileOutcome> {
  if (stack.isStopping) return { applied: false, message: 'the stack is stopping' };
  // The running proxy holds its own port, so a port check would only find ourselves. Programs are
  // looked for on the PATH the stack's processes get, which may not be this process's own.
  const { spec, issues } = await loadStack(file, { checkPorts: false, searchPath: stack.basePath, inheritedEnv: stack.baseEnvironment });
  const errors = issues.filter((issue) => issue.severity === 'error');
  if (!spec || errors.length > 0) {
    return { applied: false, message: `${formatIssues(issues, stack.spec.dir)}\nthe change was not applied; the stack keeps running as it was` };
  }
  try {
    const changes = await stack.applySpec(spec);
    return { applied: true, changes };
  } catch (error) {
    return { applied: false, message: `${(error as Error).message}` };
  }
}
