// Watches an app's `watch:` globs and reports changes in debounced batches, so that saving ten
// files at once (a git checkout, a formatter) triggers one reload, not ten.

import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import type { Disposable } from '../events.ts';

/** Quiet time after the last change before a batch is reported. */
export const WATCH_DEBOUNCE_MS = 300;

/** Folders never watched unless a glob names them: they are huge and never the app's own code. */
const SKIPPED = new Set(['node_modules', '.git', '.switchyard', '__pycache__', '.venv']);

/** A recursive watcher of files under `root` matching any of `globs` (relative to `root`). */
export class GlobWatcher implements Disposable {
  private readonly watcher: FSWatcher;
  private readonly matches: (relative: string) => boolean;
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  /** Resolves once the initial scan is done and changes are being reported. */
  readonly ready: Promise<void>;

  constructor(root: string, globs: readonly string[], onChange: (paths: string[]) => void, debounceMs = WATCH_DEBOUNCE_MS) {
    this.matches = picomatch([...globs], { dot: false });
    const namesSkipped = globs.some((glob) => [...SKIPPED].some((dir) => glob.includes(dir)));
    this.watcher = watch(root, {
      ignoreInitial: true,
      ignored: (file) => {
        if (namesSkipped) return false;
        const relative = path.relative(root, file);
        return relative.split(path.sep).some((segment) => SKIPPED.has(segment));
      },
    });
    const record = (file: string) => {
      const relative = path.relative(root, file).split(path.sep).join('/');
      if (!this.matches(relative)) return;
      this.pending.add(relative);
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        const batch = [...this.pending].sort();
        this.pending.clear();
        onChange(batch);
      }, debounceMs);
    };
    this.watcher.on('add', record).on('change', record).on('unlink', record);
    // A folder that vanishes or cannot be read must not take the orchestrator down.
    this.watcher.on('error', () => {});
    this.ready = new Promise((resolve) => this.watcher.once('ready', () => resolve()));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    void this.watcher.close();
  }
}
