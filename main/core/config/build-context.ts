// What the section builders share while turning one stack file into a StackSpec.
import { stat } from 'node:fs/promises';
import type { StackIssue } from '../../../shared/stack.ts';
import type { StackSource, YamlPath } from './source.ts';

/** The file being loaded, where relative paths start, the checks asked for, and the issues so far. */
export interface BuildContext {
  source: StackSource;
  /** Absolute folder of the stack file. */
  dir: string;
  checkPorts: boolean;
  /** Ports this stack's own running instance holds: taken by it, they are no conflict. */
  ownPorts: ReadonlySet<number>;
  checkCommands: boolean;
  /** Where programs are looked for when an app's own `env` sets no PATH. */
  searchPath: string | undefined;
  /** The environment workers inherit beneath their own `env`: the variables a command may name. */
  inheritedEnv: Readonly<Record<string, string>>;
  issues: StackIssue[];
  /** File-system answers already asked for in this load: thousands of apps may share one program and cwd. */
  lookups: Map<string, Promise<unknown>>;
}

/** Records an error (or a warning) at the node at `path`. */
export function report(ctx: BuildContext, path: YamlPath, message: string, severity: StackIssue['severity'] = 'error'): void {
  ctx.issues.push(ctx.source.issue(path, message, severity));
}

/** The answer of `look` for `key`, asked of the file system once per load. */
export function lookupOnce<T>(ctx: BuildContext, key: string, look: () => Promise<T>): Promise<T> {
  let answer = ctx.lookups.get(key) as Promise<T> | undefined;
  if (answer === undefined) {
    answer = look();
    ctx.lookups.set(key, answer);
  }
  return answer;
}

/** What is at an absolute path, following symlinks. */
export async function pathKind(file: string): Promise<'file' | 'directory' | 'missing' | 'other'> {
  try {
    const info = await stat(file);
    return info.isDirectory() ? 'directory' : info.isFile() ? 'file' : 'other';
  } catch {
    return 'missing';
  }
}
