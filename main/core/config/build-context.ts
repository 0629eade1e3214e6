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
  checkCommands: boolean;
  issues: StackIssue[];
}

/** Records an error (or a warning) at the node at `path`. */
export function report(ctx: BuildContext, path: YamlPath, message: string, severity: StackIssue['severity'] = 'error'): void {
  ctx.issues.push(ctx.source.issue(path, message, severity));
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
