// Running one benchmark file on its own (`node bench/proxy.ts`): the same goal lines as the
// summary of `npm run bench`, and a non-zero exit code when the benchmark could not run.

import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../stats.ts';

/** Whether the module at `moduleUrl` is the program being run, rather than imported by `bench/run.ts`. */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] === fileURLToPath(moduleUrl);
}

/** Runs one benchmark and prints its goals. */
export async function runAlone(run: () => Promise<BenchResult>): Promise<void> {
  try {
    const result = await run();
    console.log('');
    for (const goal of result.goals) console.log(`  ${goal.met === null ? 'info  ' : goal.met ? 'MET   ' : 'MISSED'}  ${goal.label}: ${goal.detail}`);
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  }
}
