import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogPrinter } from '../../main/cli/log-printer.ts';
import { LineSplitter } from '../../main/core/logs/line-splitter.ts';

// The name column is as wide as 'switchyard', the printer's own name.
const PREFIX = 'api-1      | ';

/** What a worker's line looks like on the terminal once it went through log capture and the printer. */
function printed(bytes: Buffer, stream: 'stdout' | 'system' = 'stdout', color = false): string {
  const out = new PassThrough();
  const printer = new LogPrinter(out, color, ['api-1']);
  new LineSplitter((text) => printer.print({ seq: 1, time: 0, source: 'api-1', stream, text })).push(bytes);
  printer.flush();
  return String(out.read());
}

describe('LogPrinter and control characters from a worker', () => {
  it('shows BEL, OSC, cursor movement, CR and C1 escaped instead of letting the terminal obey them', () => {
    const bytes = Buffer.concat([
      Buffer.from('bell\x07 title\x1b]0;pwned\x07 up\x1b[2A clear\x1b[2J cr\rover '),
      Buffer.from([0xc2, 0x9b]), // U+009B, the one-character CSI
      Buffer.from('31m del\x7f nul\x00\n'),
    ]);
    expect(printed(bytes)).toBe(
      `${PREFIX}bell\\x07 title\\x1b]0;pwned\\x07 up\\x1b[2A clear\\x1b[2J cr\\rover \\x9b31m del\\x7f nul\\x00\n`,
    );
  });

  it('keeps colour codes and tabs as they are', () => {
    const bytes = Buffer.from('\x1b[31mred\x1b[0m\tand \x1b[1;38;5;208mbold orange\x1b[m\n');
    expect(printed(bytes)).toBe(`${PREFIX}\x1b[31mred\x1b[0m\tand \x1b[1;38;5;208mbold orange\x1b[m\n`);
  });

  it('escapes a system line too, before dimming it', () => {
    const out = printed(Buffer.from('crashed: \x1b]8;;http://x\x07link\n'), 'system', true);
    expect(out).toContain('crashed: \\x1b]8;;http://x\\x07link');
    expect(out).not.toContain('\x07');
  });
});
