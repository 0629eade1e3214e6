// A worker for the dashboard benchmark that logs like a busy web server: RATE lines a second
// (default 20,000) for SECONDS seconds (default 10), written every ~10 ms, with timestamps, levels,
// some colour codes and some lines on stderr; exactly RATE × SECONDS of them. Then one summary line
// saying how long that really took (a pipe that is read slowly makes the writes wait), and it idles
// until it is stopped. It serves no port and reads nothing.

import { performance } from 'node:perf_hooks';

const rate = Number(process.env.RATE ?? 20_000);
const seconds = Number(process.env.SECONDS ?? 10);
const total = Math.round(rate * seconds);
/** The summary line starts with this, so a reader can tell the burst is over (bench/dashboard.ts waits for it). */
const DONE_PREFIX = 'printer: done,';
const TICK_MS = 10;

const GREEN = '\x1b[32m';
const YELLOW = '\x1b[33m';
const RED = '\x1b[31m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const PATHS = ['/api/items', '/api/users', '/api/orders', '/api/carts', '/assets/img', '/api/search'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];

/** Line n: mostly access-style INFO lines, some DEBUG; every 20th a WARN and every 50th an ERROR, on stderr. */
function line(n: number, timestamp: string): { text: string; stderr: boolean } {
  // A fixed pseudo-random spread, so that every run prints the same text.
  const hash = Math.imul(n, 2654435761) >>> 0;
  const path = `${PATHS[hash % PATHS.length]}/${hash % 9973}`;
  const method = METHODS[(hash >>> 8) % METHODS.length];
  const millis = ((hash >>> 12) % 2500) / 10;
  const coloured = n % 4 === 0;
  const level = (name: string, colour: string) => (coloured ? `${colour}${name}${RESET}` : name);
  if (n % 50 === 0) {
    return { text: `${timestamp} ${level('ERROR', RED)} [db] query failed after ${millis}ms: connection reset by peer (pool 4/10, retry ${hash % 3}) req=${n}`, stderr: true };
  }
  if (n % 20 === 0) {
    return { text: `${timestamp} ${level('WARN', YELLOW)}  [http] slow response ${method} ${path} took ${millis}ms (budget 100ms) req=${n}`, stderr: true };
  }
  if (n % 7 === 0) {
    return { text: `${timestamp} ${level('DEBUG', DIM)} [cache] ${hash % 2 === 0 ? 'hit' : 'miss'} key=session:${(hash >>> 4).toString(16)} ttl=${hash % 600}s req=${n}`, stderr: false };
  }
  return { text: `${timestamp} ${level('INFO', GREEN)}  [http] ${method} ${path} ${hash % 97 === 0 ? 404 : 200} ${millis}ms ${(hash >>> 6) % 20_000}B req=${n}`, stderr: false };
}

let printed = 0;
const started = performance.now();

/** Prints the lines due by now (so a late tick catches up rather than letting the rate drift). */
function tick(): void {
  const due = Math.min(total, Math.floor((rate * (performance.now() - started)) / 1000));
  if (due > printed) {
    const timestamp = new Date().toISOString();
    let out = '';
    let err = '';
    for (; printed < due; ) {
      printed++;
      const { text, stderr } = line(printed, timestamp);
      if (stderr) err += `${text}\n`;
      else out += `${text}\n`;
    }
    if (err) process.stderr.write(err);
    if (out) process.stdout.write(out);
  }
  if (printed < total) {
    setTimeout(tick, TICK_MS);
    return;
  }
  const elapsed = performance.now() - started;
  process.stdout.write(`${DONE_PREFIX} ${total} lines in ${elapsed.toFixed(0)} ms (asked: ${rate}/s for ${seconds} s = ${(seconds * 1000).toFixed(0)} ms)\n`);
  // Idle until stopped, like a server between requests.
  setInterval(() => {}, 60_000);
}

tick();
