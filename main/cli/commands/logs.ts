// `switchyard logs [NAME] [-f]`: recent lines of everything, one app or one process; -f follows.

import type { LogLine } from '../../../shared/process.ts';
import { EXIT } from '../cli-error.ts';
import { connect } from '../instance.ts';
import { LogPrinter } from '../log-printer.ts';
import { colorEnabled } from '../output.ts';

export async function logs(options: { cwd: string; file: string | undefined; name: string | undefined; follow: boolean; tail: number }): Promise<number> {
  const { client } = connect(options.cwd, options.file);
  const processes = await client.listProcesses();
  const printer = new LogPrinter(process.stdout, colorEnabled(process.stdout), processes.map((p) => p.name));
  const query = { tail: options.tail, ...(options.name ? { name: options.name } : {}) };
  if (!options.follow) {
    for (const line of await client.logs(query)) printer.print(line);
    printer.flush();
    return EXIT.ok;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await client.followLogs(query, (item) => {
      if ('line' in item) printer.print(item.line as LogLine);
      else printer.note(`… ${item.dropped} lines skipped: this reader fell behind`);
    }, controller.signal);
  } catch (error) {
    // The instance stopping ends the stream; that is the end of following, not a failure.
    if (!controller.signal.aborted && !/terminated|other side closed|ECONNRESET/i.test(String((error as Error).cause ?? error))) throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    printer.flush();
  }
  return EXIT.ok;
}
