// Durations in the stack file: `250ms`, `2s`, `1.5s`, `1m`, `1h`, or parts combined like `1m30s`.

const UNIT_MS = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
type Unit = keyof typeof UNIT_MS;

// Units must come largest first and at most once each, so `30s1m` or `1s1s` is a mistake, not a sum.
const UNIT_ORDER: readonly Unit[] = ['h', 'm', 's', 'ms'];
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

const EXAMPLES = 'write it like 250ms, 2s or 1m';

/** A duration written in the stack file, in milliseconds (rounded to whole ms). */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number' || /^\d+(\.\d+)?$/.test(text.trim())) {
    const n = String(text).trim();
    // A bare number is ambiguous (seconds? milliseconds?), so it is refused rather than guessed.
    throw new Error(`invalid duration '${n}': a number needs a unit, like ${n}s or ${n}ms; ${EXAMPLES}`);
  }
  const source = text.trim();
  let total = 0;
  let lastRank = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < source.length) {
    const match = PART.exec(source);
    const rank = match ? UNIT_ORDER.indexOf(match[2] as Unit) : -1;
    if (!match || rank <= lastRank) throw new Error(`invalid duration '${text}'; ${EXAMPLES}`);
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
    lastRank = rank;
  }
  if (source === '') throw new Error(`invalid duration '${text}'; ${EXAMPLES}`);
  return Math.round(total);
}

/** A duration in its shortest readable form, the inverse of `parseDuration` for plans and messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
