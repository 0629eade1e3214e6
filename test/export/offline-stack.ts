// Loading a stack file as `switchyard export` does: for another machine, so without the port and program checks.
import { fileURLToPath } from 'node:url';
import type { StackSpec } from '../../shared/stack.ts';
import { loadStack } from '../../main/core/config/load.ts';

/** The repository's examples/ folder. */
export const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

/** The spec of `file`; throws with its errors when it is invalid. */
export async function loadOffline(file: string): Promise<StackSpec> {
  const { spec, issues } = await loadStack(file, { checkPorts: false, checkCommands: false });
  if (!spec) throw new Error(issues.map((issue) => issue.message).join('\n'));
  return spec;
}
