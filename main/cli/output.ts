// Terminal output: colour only where the stream supports it and the user has not said NO_COLOR.

import { stripVTControlCharacters, styleText } from 'node:util';
import type { ProcessState } from '../../shared/process.ts';

type Style = Parameters<typeof styleText>[0];

/** Whether to colour a stream: FORCE_COLOR and NO_COLOR win, otherwise only a colour-capable terminal. */
export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return stream.isTTY === true && (stream.hasColors?.() ?? false);
}

/** Styles text when `enabled`, else returns it untouched. */
export function paint(enabled: boolean, style: Style, text: string): string {
  return enabled ? styleText(style, text, { validateStream: false }) : text;
}

// Colour and style (SGR, `ESC [ … m`) is kept: workers colour their output, and it can neither move the
// cursor nor retitle the window. Every other control character (BEL, OSC, cursor movement, CR, C1) is
// shown as an escape instead of being obeyed by the terminal. Newline and tab stay as they are.
// eslint-disable-next-line no-control-regex
const CONTROL = /\x1b\[[0-9;:]*m|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** `text` safe to write to a terminal: control characters become visible escapes like `\x07` and `\r`. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (match) => {
    if (match.length > 1) return match;
    return match === '\r' ? '\\r' : `\\x${match.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** The colour a state is shown in. */
export function stateStyle(state: ProcessState): Style {
  switch (state) {
    case 'ready':
      return 'green';
    case 'starting':
    case 'waiting':
    case 'draining':
    case 'stopping':
    case 'backoff':
      return 'yellow';
    case 'unhealthy':
    case 'crashed':
    case 'failed':
    case 'blocked':
      return 'red';
    default:
      return 'dim';
  }
}

/** `3.2s`, `4m12s`, `2h03m`. */
export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${(ms / 1000).toFixed(s < 10 ? 1 : 0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `512 KiB`, `38.4 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 || value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** Left-aligned columns separated by two spaces; widths ignore colour codes. */
export function table(rows: string[][]): string {
  const visible = (text: string) => stripVTControlCharacters(text).length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell)))).join('  '))
    .join('\n');
}
