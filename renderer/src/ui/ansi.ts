// ANSI colour codes as styled chunks of text (parsed by anser), never as HTML: a log line is data
// from a child process and must not be able to inject markup. The sixteen basic colours become
// classes, so each theme picks its own shades; 256-colour and true-colour codes keep their value.

import Anser from 'anser';

/** A run of text with one style. */
export interface AnsiChunk {
  text: string;
  className: string;
  color?: string;
  background?: string;
}

const CUBE = [0, 95, 135, 175, 215, 255];

/** An xterm 256-colour palette entry as CSS (the first 16 are themed classes instead). */
function paletteColor(index: number): string {
  if (index >= 232) {
    const level = 8 + (index - 232) * 10;
    return `rgb(${level}, ${level}, ${level})`;
  }
  const cube = index - 16;
  return `rgb(${CUBE[Math.floor(cube / 36)]}, ${CUBE[Math.floor(cube / 6) % 6]}, ${CUBE[cube % 6]})`;
}

const BASIC = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

/** A colour from anser's class output as a class of ours, or an inline colour. */
function colorOf(value: string | null, truecolor: string | null, layer: 'fg' | 'bg'): { className?: string; css?: string } {
  if (!value) return {};
  if (value === 'ansi-truecolor') return truecolor ? { css: `rgb(${truecolor})` } : {};
  const palette = /^ansi-palette-(\d+)$/.exec(value);
  if (palette) {
    const index = Number(palette[1]);
    if (index < 8) return { className: `${layer}-${BASIC[index]}` };
    if (index < 16) return { className: `${layer}-bright-${BASIC[index - 8]}` };
    return { css: paletteColor(index) };
  }
  return { className: `${layer}-${value.replace(/^ansi-/, '')}` };
}

const cache = new Map<string, AnsiChunk[]>();
const CACHE_SIZE = 2000;

/** True when the text carries escape codes worth parsing. */
export function hasAnsi(text: string): boolean {
  return text.includes('\u001b');
}

export function parseAnsi(text: string): AnsiChunk[] {
  const known = cache.get(text);
  if (known) return known;
  const chunks: AnsiChunk[] = [];
  for (const entry of Anser.ansiToJson(text, { use_classes: true, remove_empty: true })) {
    const fg = colorOf(entry.fg, entry.fg_truecolor, 'fg');
    const bg = colorOf(entry.bg, entry.bg_truecolor, 'bg');
    const classes = [fg.className, bg.className, ...entry.decorations.map((decoration) => `ansi-${decoration}`)].filter(Boolean);
    chunks.push({ text: entry.content, className: classes.join(' '), color: fg.css, background: bg.css });
  }
  // Rows scroll back into view often; keep the recent parses, drop the oldest.
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(text, chunks);
  return chunks;
}
