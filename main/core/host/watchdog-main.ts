// The Node watchdog (Windows, where no POSIX shell can wait for us): a separate process that
// outlives the orchestrator. It learns every pid the orchestrator starts; when its IPC channel
// closes without a goodbye (the orchestrator died, even by SIGKILL) it reaps (reaper.ts).
// tree-kill uses `taskkill /T /F` there (not exercised here; the tests run this on Linux).

import { reap } from './reaper.ts';
import type { WatchdogMessage } from './watchdog.ts';

const tracked = new Set<number>();
let hello: Extract<WatchdogMessage, { type: 'hello' }> | null = null;
let goodbye = false;

process.on('message', (message: WatchdogMessage) => {
  switch (message.type) {
    case 'hello':
      hello = message;
      break;
    case 'track':
      tracked.add(message.pid);
      break;
    case 'untrack':
      tracked.delete(message.pid);
      break;
    case 'goodbye':
      goodbye = true;
      break;
  }
});

process.on('disconnect', () => {
  if (goodbye && tracked.size === 0) process.exit(0);
  const orders = { orchestratorPid: hello?.pid ?? null, runFile: hello?.runFile ?? null, lockFile: hello?.lockFile ?? null, marker: hello?.marker ?? null };
  void reap({ ...orders, pids: [...tracked] }).finally(() => process.exit(0));
});

// A terminal's hang-up or Ctrl-C must not take the watchdog down before it has done its job.
for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(signal, () => {});
