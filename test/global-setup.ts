// Every process a test run starts inherits one marker; when the run ends, whatever still carries
// it is killed, so a failing or interrupted test never leaves workers running on the machine.

import { randomUUID } from 'node:crypto';
import { commandLine, describeProcesses, processesWithMarker } from './helpers/processes.ts';

export default function setup(): () => void {
  const marker = { key: 'SWITCHYARD_TEST_RUN', value: randomUUID() };
  process.env[marker.key] = marker.value;
  return () => {
    // Vitest's own processes carry the marker too (its watchdog, and a test fork still on its way
    // out: `node …/node_modules/vitest/dist/workers/forks.js`); they are not ours to kill.
    const leftovers = processesWithMarker(marker).filter((pid) => pid !== process.pid && !isVitest(commandLine(pid)));
    const described = describeProcesses(leftovers);
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (leftovers.length > 0) console.warn(`test run teardown: killed ${leftovers.length} leftover process(es):\n  ${described.join('\n  ')}`);
  };
}

function isVitest(command: string): boolean {
  return command.startsWith('vitest') || /[\\/]node_modules[\\/]vitest[\\/]/.test(command);
}
