// `switchyard check`: validate the stack file and print the plan; exit 2 when invalid.

import type { StackSpec } from '../../../shared/stack.ts';
import { findStackFile, loadStack } from '../../core/config/load.ts';
import { formatIssues, formatPlan } from '../../core/config/plan.ts';
import { StackHost } from '../../core/host/stack-host.ts';
import { CliError, EXIT } from '../cli-error.ts';

/**
 * Loads the stack file or throws a CliError (exit 2) carrying every issue; warnings go to `err`.
 * With `refuseRunning`, a stack file another instance runs is refused first (exit 1), before its
 * ports look taken.
 */
export async function loadOrExit(cwd: string, file: string | undefined, err: NodeJS.WritableStream, options: { refuseRunning?: boolean } = {}): Promise<{ spec: StackSpec; file: string }> {
  let stackFile: string;
  try {
    stackFile = findStackFile(cwd, file);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
  if (options.refuseRunning) {
    try {
      await StackHost.refuseIfRunning(stackFile);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  }
  const { spec, issues } = await loadStack(stackFile);
  if (!spec) throw new CliError(`${formatIssues(issues, cwd)}\n${stackFile} is not valid; fix the errors above`, EXIT.usage);
  if (issues.length > 0) err.write(`${formatIssues(issues, cwd)}\n`);
  return { spec, file: stackFile };
}

export async function check(options: { cwd: string; file: string | undefined }): Promise<number> {
  const { spec } = await loadOrExit(options.cwd, options.file, process.stderr);
  process.stdout.write(`${formatPlan(spec)}\n`);
  return EXIT.ok;
}
