// How numbers read in a dense table: fixed widths where possible, a dash for "nothing to say".

const DASH = '—';

/** `14:03:07.123`, local time. */
export function formatClock(time: number): string {
  const date = new Date(time);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `42s`, `3m 07s`, `2h 05m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** A configured duration: `250ms`, `2s`, `1m 30s`. */
export function formatSpan(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 1000 !== 0) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = ms / 1000;
  if (seconds < 60 || seconds % 60 !== 0) return `${seconds}s`;
  return `${seconds / 60}m`;
}

/** Bytes as MiB with one decimal. */
export function formatMiB(bytes: number | null): string {
  return bytes === null ? DASH : (bytes / 1048576).toFixed(1);
}

export function formatPercent(value: number | null): string {
  return value === null ? DASH : value.toFixed(1);
}

/** Requests per second: whole numbers, or one decimal below 10. */
export function formatRate(value: number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  return value < 10 && value !== Math.floor(value) ? value.toFixed(1) : String(Math.round(value));
}

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  if (value < 10) return `${value.toFixed(1)} ms`;
  if (value < 10_000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(1)} s`;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatOrDash(value: number | string | null | undefined): string {
  return value === null || value === undefined ? DASH : String(value);
}

/** `2xx` for 204, `error` for 0 (no status was sent). */
export function statusClass(status: number): string {
  return status === 0 ? 'error' : `${Math.floor(status / 100)}xx`;
}
