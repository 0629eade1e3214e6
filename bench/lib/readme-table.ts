// README.md's benchmark table, rewritten from one run (`npm run bench -- --readme`) between two
// marker comments, with the machine's load under it, so the figures a reader sees come from one
// run and say how busy the machine was, instead of being copied by hand from several.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ReadmeRow } from '../stats.ts';
import { describeMachineLoad, type MachineLoad } from './machine-load.ts';

export const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const START = '<!-- bench:table -->';
const END = '<!-- /bench:table -->';

/** The table and the line under it, as Markdown. */
export function renderReadmeTable(rows: readonly ReadmeRow[], load: MachineLoad): string {
  // A `|` inside a cell would split it into two columns.
  const cell = (text: string) => text.replaceAll('|', '\\|');
  const day = new Date().toISOString().slice(0, 10);
  return [
    '| benchmark | anchor | Switchyard | ratio |',
    '| --- | --- | --- | --- |',
    ...rows.map((row) => `| ${[row.benchmark, row.anchor, row.switchyard, row.ratio].map(cell).join(' | ')} |`),
    '',
    `From one run of \`npm run bench -- --readme\` on ${day} (Node ${process.version}): ${describeMachineLoad(load)}.`,
  ].join('\n');
}

/** Replaces what lies between the markers in README.md; throws, leaving the file alone, when they are missing. */
export function writeReadmeTable(markdown: string, file = README): void {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${file} has no '${START}' … '${END}' pair around the benchmark table: put them back to say where the table goes`);
  writeFileSync(file, `${text.slice(0, start + START.length)}\n${markdown}\n${text.slice(end)}`);
}
