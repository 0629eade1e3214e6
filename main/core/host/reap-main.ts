// Entry of the reaper the shell watchdog (watchdog.sh) execs when the orchestrator died without a
// goodbye: `node reap-main.ts [--pid P] [--run-file F] [--lock-file L] [--marker M] PID...`.
// Node is paid for only then: while the orchestrator lives, its guardian is a waiting shell.

import { parseArgs } from 'node:util';
import { reap } from './reaper.ts';

const { values, positionals } = parseArgs({
  options: { pid: { type: 'string' }, 'run-file': { type: 'string' }, 'lock-file': { type: 'string' }, marker: { type: 'string' } },
  allowPositionals: true,
});
// A terminal's hang-up or Ctrl-C must not stop the reaping half-way.
for (const signal of ['SIGINT', 'SIGHUP', 'SIGTERM'] as const) process.on(signal, () => {});
await reap({
  orchestratorPid: values.pid === undefined ? null : Number(values.pid),
  runFile: values['run-file'] ?? null,
  lockFile: values['lock-file'] ?? null,
  marker: values.marker ?? null,
  pids: positionals.map(Number).filter((pid) => Number.isInteger(pid) && pid > 0),
});
process.exit(0);
