// Finding the running `up` for a stack file, through the run file it wrote.

import { findStackFile } from '../core/config/load.ts';
import { ControlClient } from '../core/control/control-client.ts';
import { readRunFile, runFilePath } from '../core/host/run-file.ts';
import { isAlive } from '../core/process/process-tree.ts';
import { CliError, EXIT } from './cli-error.ts';

/** A client for the instance running the stack in `cwd` (or `file`), or a CliError saying why there is none. */
export function connect(cwd: string, file: string | undefined): { client: ControlClient; pid: number; stackFile: string } {
  let stackFile: string;
  try {
    stackFile = findStackFile(cwd, file);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
  const runFile = runFilePath(stackFile);
  const run = readRunFile(runFile);
  if (!run) throw new CliError(`no running stack for ${stackFile}; start it with \`switchyard up\``);
  if (!isAlive(run.pid)) {
    throw new CliError(`the stack is not running (its run file names pid ${run.pid}, which is gone); start it with \`switchyard up\``);
  }
  return { client: new ControlClient(run), pid: run.pid, stackFile };
}
