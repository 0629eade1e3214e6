// Small numeric and printing helpers shared by the benchmarks.

/** One line of the final summary: `met` is null for a figure that has no goal attached. */
export interface Goal {
  label: string;
  met: boolean | null;
  detail: string;
}

/** One row of README.md's benchmark table (`npm run bench -- --readme`), in the table's own words. */
export interface ReadmeRow {
  benchmark: string;
  anchor: string;
  switchyard: string;
  ratio: string;
}

/** What a benchmark hands back to the runner. */
export interface BenchResult {
  name: string;
  goals: Goal[];
  /** Its rows of the README's table; none when it has nothing for the table. */
  readme?: ReadmeRow[];
}

/** Linear interpolation between closest ranks, so small samples still give a sensible p90. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  const highValue = sorted[high] as number;
  return lowValue + (highValue - lowValue) * (rank - low);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.min(...values);
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value < 100 ? value.toFixed(1) : value.toFixed(0);
}

export function ratio(value: number, anchor: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(anchor) || anchor === 0) return '-';
  return `${(value / anchor).toFixed(2)}x`;
}

/** A count as the README writes it: `1,263`, or `74.4k` from ten thousand up. */
export function count(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)}k` : Math.round(value).toLocaleString('en-US');
}

export function bytes(value: number): string {
  if (!Number.isFinite(value)) return '-';
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  if (abs < 1024) return `${sign}${abs.toFixed(0)} B`;
  if (abs < 1024 * 1024) return `${sign}${(abs / 1024).toFixed(1)} KiB`;
  return `${sign}${(abs / 1024 / 1024).toFixed(1)} MiB`;
}

/** A table column: text columns align left, numbers right so digits line up. */
export interface Column {
  title: string;
  align?: 'left' | 'right';
}

/** Prints a titled table with an optional note under it. */
export function printTable(title: string, columns: readonly Column[], rows: readonly (readonly string[])[], note?: string): void {
  const widths = columns.map((column, i) => Math.max(column.title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const cell = (text: string, i: number) => {
    const width = widths[i] ?? 0;
    return (columns[i]?.align ?? (i === 0 ? 'left' : 'right')) === 'left' ? text.padEnd(width) : text.padStart(width);
  };
  const line = (cells: readonly string[]) => cells.map((text, i) => cell(text, i)).join('  ').trimEnd();
  console.log(`\n${title}`);
  console.log(line(columns.map((column) => column.title)));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
  if (note) for (const text of note.split('\n')) console.log(`  ${text}`);
}

/** Samples collected under one label, in run order. */
export class Samples {
  private readonly byLabel = new Map<string, number[]>();

  add(label: string, value: number): void {
    const list = this.byLabel.get(label) ?? [];
    list.push(value);
    this.byLabel.set(label, list);
  }

  get(label: string): number[] {
    return this.byLabel.get(label) ?? [];
  }

  median(label: string): number {
    return median(this.get(label));
  }
}
