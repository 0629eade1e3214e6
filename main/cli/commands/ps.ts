// `switchyard ps`: the processes of the running stack.

import { formatRestarts, type ProcessInfo } from '../../../shared/process.ts';
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
      formatRestarts(p),
      p.startedAt === null ? '-' : formatUptime(now - p.startedAt),
      p.cpu === null ? '-' : `${p.cpu.toFixed(1)}%`,
      p.memory === null ? '-' : formatBytes(p.memory),
      p.reason ?? '',
    ]);
    rows.push(...childRows(p, now));
  }
  return table(rows);
}

/** What each failed process last wrote to stderr; a process that wrote nothing (or only blank lines) gets no heading. */
export function describeFailures(processes: readonly ProcessInfo[]): string {
  let text = '';
  for (const p of processes) {
    // A task that did not exit 0 has failed for good: what it wrote on stderr is why its dependants are blocked.
    const failed = p.state === 'failed' || (p.kind === 'task' && p.state === 'crashed');
    const lines = failed ? p.lastStderr.filter((line) => line.trim() !== '') : [];
    if (lines.length > 0) text += `\n${p.name} failed; its last stderr lines:\n${lines.map((line) => `  ${line}`).join('\n')}\n`;
  }
  return text;
}

/** A pre-fork master's children under its row, indented by depth, with their command where the OS shows it. */
function childRows(p: ProcessInfo, now: number): string[][] {
  const depth = new Map<number, number>([[p.pid ?? -1, 0]]);
  return p.children.map((child) => {
    const level = (depth.get(child.ppid) ?? 0) + 1;
    depth.set(child.pid, level);
    return [`${'  '.repeat(level)}└ child`, '', '', String(child.pid), '', '', formatUptime(now - child.startedAt), `${child.cpu.toFixed(1)}%`, formatBytes(child.memory), child.command ?? ''];
  });
}

export async function ps(options: { cwd: string; file: string | undefined; json: boolean }): Promise<number> {
  const { client } = connect(options.cwd, options.file);
  const processes = await client.listProcesses();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(processes, null, 2)}\n`);
    return EXIT.ok;
  }
  const color = colorEnabled(process.stdout);
  process.stdout.write(`${formatProcesses(processes, color)}\n`);
  for (const p of processes) for (const warning of p.warnings) process.stdout.write(`\n${paint(color, 'yellow', `warning: ${p.name} is ${warning}`)}\n`);
  process.stdout.write(describeFailures(processes));
  return EXIT.ok;
}
