// `switchyard ps`: the processes of the running stack.

import type { ProcessInfo } from '../../../shared/process.ts';
import { EXIT } from '../cli-error.ts';
import { connect } from '../instance.ts';
import { colorEnabled, formatBytes, formatUptime, paint, stateStyle, table } from '../output.ts';

/** The `ps` table for a list of processes. */
export function formatProcesses(processes: readonly ProcessInfo[], color: boolean, now = Date.now()): string {
  const rows = [['NAME', 'STATE', 'HEALTH', 'PID', 'PORT', 'RESTARTS', 'UPTIME', 'CPU', 'MEM', 'REASON']];
  for (const p of processes) {
    rows.push([
      // A reload's replacement shares the name until the swap; then the run it replaced goes by its run id.
      p.role === 'member' ? p.name : p.name === p.id ? `${p.id} (leaving)` : `${p.name} (${p.role === 'surge' ? 'new' : 'leaving'} ${p.id})`,
      paint(color, stateStyle(p.state), p.state),
      p.health,
      p.pid === null ? '-' : String(p.pid),
      p.port === null ? '-' : String(p.port),
      String(p.restarts),
      p.startedAt === null ? '-' : formatUptime(now - p.startedAt),
      p.cpu === null ? '-' : `${p.cpu.toFixed(1)}%`,
      p.memory === null ? '-' : formatBytes(p.memory),
      p.reason ?? '',
    ]);
  }
  return table(rows);
}

export async function ps(options: { cwd: string; file: string | undefined; json: boolean }): Promise<number> {
  const { client } = connect(options.cwd, options.file);
  const processes = await client.listProcesses();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(processes, null, 2)}\n`);
    return EXIT.ok;
  }
  process.stdout.write(`${formatProcesses(processes, colorEnabled(process.stdout))}\n`);
  // A task that did not exit 0 has failed for good: what it wrote on stderr is why its dependants are blocked.
  const failed = (p: ProcessInfo) => p.state === 'failed' || (p.kind === 'task' && p.state === 'crashed');
  for (const p of processes.filter((p) => failed(p) && p.lastStderr.length > 0)) {
    process.stdout.write(`\n${p.name} failed; its last stderr lines:\n${p.lastStderr.map((l) => `  ${l}`).join('\n')}\n`);
  }
  return EXIT.ok;
}
