import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/process.ts';
import { DisposableStore, Emitter, setUnexpectedErrorHandler } from '../../main/core/events.ts';
import { droppedNotice, LineSplitter, MAX_KEPT_LINE_LENGTH, MAX_LINE_LENGTH } from '../../main/core/logs/line-splitter.ts';
import { LogStore } from '../../main/core/logs/log-store.ts';
import { RingBuffer } from '../../main/core/logs/ring-buffer.ts';
import { PortAllocator } from '../../main/core/process/port-allocator.ts';
import { execaSpawner } from '../../main/core/process/spawner.ts';
import { Supervisor } from '../../main/core/process/supervisor.ts';
import { fixtureProcess } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

function splitter(): { lines: string[]; splitter: LineSplitter } {
  const lines: string[] = [];
  return { lines, splitter: new LineSplitter((text) => lines.push(text)) };
}

/** A string of `length` characters that is not one repeated letter, so a reordered or shifted piece shows. */
function patterned(length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += `${i % 10}abcdefghij`.slice(0, length - out.length);
  return out;
}

describe('LineSplitter', () => {
  it('splits LF-terminated text into lines', () => {
    const { lines, splitter: s } = splitter();
    s.push('one\ntwo\nthree\n');
    expect(lines).toEqual(['one', 'two', 'three']);
  });

  it('strips the CR of CRLF, also when CR and LF arrive in different chunks', () => {
    const { lines, splitter: s } = splitter();
    s.push('dos\r\nline\r');
    s.push('\nunix\n');
    expect(lines).toEqual(['dos', 'line', 'unix']);
  });

  it('keeps a CR that is not followed by LF inside the line', () => {
    const { lines, splitter: s } = splitter();
    s.push('progress 10%\rprogress 90%\n');
    expect(lines).toEqual(['progress 10%\rprogress 90%']);
  });

  it('joins a line split across chunks and holds an unfinished one back', () => {
    const { lines, splitter: s } = splitter();
    s.push(Buffer.from('hel'));
    expect(lines).toEqual([]);
    s.push(Buffer.from('lo\nwor'));
    expect(lines).toEqual(['hello']);
    s.push(Buffer.from('ld\n'));
    expect(lines).toEqual(['hello', 'world']);
  });

  it('decodes a multi-byte UTF-8 character split across chunks', () => {
    const text = 'héllo wörld ✓ 😀 日本語';
    const bytes = Buffer.from(`${text}\n`, 'utf8');
    const { lines, splitter: s } = splitter();
    // One byte at a time: every multi-byte character is split at every possible point.
    for (const byte of bytes) s.push(Uint8Array.of(byte));
    expect(lines).toEqual([text]);
    expect(lines[0]).not.toContain('\uFFFD');
  });

  it('emits the last line without a newline on flush, once', () => {
    const { lines, splitter: s } = splitter();
    s.push('first\nlast words');
    expect(lines).toEqual(['first']);
    s.flush();
    expect(lines).toEqual(['first', 'last words']);
    s.flush();
    expect(lines).toEqual(['first', 'last words']);
  });

  it('emits nothing on flush when the stream ended with a newline', () => {
    const { lines, splitter: s } = splitter();
    s.push('done\n');
    s.flush();
    expect(lines).toEqual(['done']);
  });

  it('keeps empty lines', () => {
    const { lines, splitter: s } = splitter();
    s.push('a\n\n\nb\n\r\n\r\nc\n');
    expect(lines).toEqual(['a', '', '', 'b', '', '', 'c']);
  });

  it('cuts a 40 KiB line into 16 KiB pieces that join back into the line', () => {
    const line = patterned(40 * 1024);
    const { lines, splitter: s } = splitter();
    s.push(`${line}\nnext\n`);
    expect(lines.map((piece) => piece.length)).toEqual([MAX_LINE_LENGTH, MAX_LINE_LENGTH, 8 * 1024, 4]);
    expect(lines.slice(0, 3).join('')).toBe(line);
    expect(lines[3]).toBe('next');
  });

  it('never buffers an unterminated line beyond the limit', () => {
    const { lines, splitter: s } = splitter();
    const chunk = patterned(1000);
    let pushed = 0;
    for (let i = 0; i < 100; i++) {
      s.push(chunk);
      pushed += chunk.length;
      const emitted = lines.reduce((sum, piece) => sum + piece.length, 0);
      // Whatever was not handed on yet is held; it may never exceed one piece.
      expect(pushed - emitted).toBeLessThanOrEqual(MAX_LINE_LENGTH);
    }
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const piece of lines) expect(piece).toHaveLength(MAX_LINE_LENGTH);
    s.push('\n');
    expect(lines.join('')).toBe(chunk.repeat(100));
  });

  it('gives the same lines for a long CRLF line whether or not CR and LF arrive together', () => {
    const line = patterned(MAX_LINE_LENGTH);
    const whole = splitter();
    whole.splitter.push(`${line}\r\nafter\r\n`);
    const split = splitter();
    split.splitter.push(`${line}\r`);
    split.splitter.push('\nafter\r\n');
    expect(whole.lines).toEqual([line, 'after']);
    expect(split.lines).toEqual(whole.lines);
  });

  it('never cuts a character in two when it cuts a long line', () => {
    // An emoji is two UTF-16 code units; put one across the 16 Ki boundary.
    const line = `${'x'.repeat(MAX_LINE_LENGTH - 1)}😀${'y'.repeat(100)}`;
    const { lines, splitter: s } = splitter();
    s.push(Buffer.from(`${line}\n`, 'utf8'));
    expect(lines.join('')).toBe(line);
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    for (const piece of lines) expect(loneSurrogate.test(piece), `piece of ${piece.length} ends ${JSON.stringify(piece.slice(-2))}`).toBe(false);
  });
});

describe('LineSplitter on an over-long line', () => {
  it('keeps the start of the line, counts the dropped bytes, and passes the next lines intact', () => {
    const line = patterned(MAX_KEPT_LINE_LENGTH + 5000);
    const { lines, splitter: s } = splitter();
    s.push(`${line}\nnext\n`);
    expect(lines).toHaveLength(MAX_KEPT_LINE_LENGTH / MAX_LINE_LENGTH + 2);
    expect(lines.slice(0, -2).join('')).toBe(line.slice(0, MAX_KEPT_LINE_LENGTH));
    expect(lines.at(-2)).toBe(droppedNotice(5000));
    expect(lines.at(-1)).toBe('next');
  });

  it('counts dropped bytes, not characters, across chunks, and leaves a CRLF out of the count', () => {
    const { lines, splitter: s } = splitter();
    const tail = 'é✓😀'.repeat(1000); // 2 + 3 + 4 bytes each
    const bytes = Buffer.from(`${'k'.repeat(MAX_KEPT_LINE_LENGTH)}${tail}\r\nafter\r\n`, 'utf8');
    // Chunks of 7 bytes split every multi-byte character somewhere, and the CR from its LF.
    for (let i = 0; i < bytes.length; i += 7) s.push(bytes.subarray(i, i + 7));
    expect(lines.slice(0, -2).join('')).toBe('k'.repeat(MAX_KEPT_LINE_LENGTH));
    expect(lines.slice(-2)).toEqual([droppedNotice(9 * 1000), 'after']);
  });

  it('reports the dropped end of a line cut short by the end of the stream', () => {
    const { lines, splitter: s } = splitter();
    s.push('x'.repeat(MAX_KEPT_LINE_LENGTH + 10));
    s.push('y'.repeat(20));
    expect(lines.at(-1)).toBe('x'.repeat(MAX_LINE_LENGTH));
    s.flush();
    expect(lines.at(-1)).toBe(droppedNotice(30));
    expect(lines).toHaveLength(MAX_KEPT_LINE_LENGTH / MAX_LINE_LENGTH + 1);
  });

  it('keeps a line of exactly the kept length whole', () => {
    const line = patterned(MAX_KEPT_LINE_LENGTH);
    const { lines, splitter: s } = splitter();
    s.push(line);
    s.push('\n');
    expect(lines.join('')).toBe(line);
  });
});

describe('log capture of a real worker writing a 20 MB line', () => {
  let supervisor: Supervisor | null = null;
  afterEach(async () => {
    await supervisor?.kill();
  });

  it('stores the start of the line and a count of the rest, and every later line arrives', async () => {
    const lineBytes = 20 * 1024 * 1024;
    const logs = new LogStore(1000);
    const spec = fixtureProcess('huge-line.js', { portEnv: null, restart: 'never' }, { LINE_BYTES: String(lineBytes), AFTER_LINES: '3' });
    supervisor = new Supervisor(spec, { spawner: execaSpawner, logs, ports: new PortAllocator() });
    await supervisor.start();
    const stdout = () => logs.query({ sources: null }).filter((line) => line.stream === 'stdout').map((line) => line.text);
    await waitFor(() => stdout().includes('after 3'), 'the lines after the huge one', { timeout: 30_000 });
    const lines = stdout();
    const pieces = MAX_KEPT_LINE_LENGTH / MAX_LINE_LENGTH;
    expect(lines).toHaveLength(pieces + 4);
    expect(lines.slice(0, pieces).join('')).toBe(`START${'x'.repeat(MAX_KEPT_LINE_LENGTH - 5)}`);
    expect(lines.slice(pieces)).toEqual([droppedNotice(lineBytes - MAX_KEPT_LINE_LENGTH), 'after 1', 'after 2', 'after 3']);
  });
});

describe('RingBuffer', () => {
  it('keeps items in insertion order', () => {
    const ring = new RingBuffer<number>(5);
    for (const n of [1, 2, 3]) ring.push(n);
    expect(ring.size).toBe(3);
    expect(ring.last()).toEqual([1, 2, 3]);
  });

  it('evicts the oldest items once full, across many wrap-arounds', () => {
    const ring = new RingBuffer<number>(3);
    for (let n = 1; n <= 3; n++) ring.push(n);
    ring.push(4);
    expect(ring.last()).toEqual([2, 3, 4]);
    for (let n = 5; n <= 100; n++) ring.push(n);
    expect(ring.size).toBe(3);
    expect(ring.last()).toEqual([98, 99, 100]);
  });

  it('returns the newest n items oldest first, clamped to what it holds', () => {
    const ring = new RingBuffer<string>(4);
    for (const s of ['a', 'b', 'c', 'd', 'e', 'f']) ring.push(s);
    expect(ring.last(2)).toEqual(['e', 'f']);
    expect(ring.last(4)).toEqual(['c', 'd', 'e', 'f']);
    expect(ring.last(99)).toEqual(['c', 'd', 'e', 'f']);
    expect(ring.last(0)).toEqual([]);
    expect(ring.last(-3)).toEqual([]);
  });

  it('starts over after clear', () => {
    const ring = new RingBuffer<number>(2);
    for (const n of [1, 2, 3]) ring.push(n);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.last()).toEqual([]);
    ring.push(7);
    expect(ring.last()).toEqual([7]);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses capacity %s', (capacity) => {
    expect(() => new RingBuffer(capacity)).toThrow(RangeError);
    expect(() => new RingBuffer(capacity)).toThrow(/positive integer/);
  });

  it('accepts a capacity of one', () => {
    const ring = new RingBuffer<number>(1);
    ring.push(1);
    ring.push(2);
    expect(ring.last()).toEqual([2]);
  });
});

describe('LogStore', () => {
  const seqs = (lines: LogLine[]) => lines.map((line) => line.seq);

  it('numbers lines with one sequence across every source', () => {
    const store = new LogStore(10);
    const a = store.append('api-1', 'stdout', 'a1', 1000);
    const b = store.append('web', 'stderr', 'b1');
    const c = store.append('api-1', 'system', 'a2');
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3]);
    expect(a).toEqual({ seq: 1, time: 1000, source: 'api-1', stream: 'stdout', text: 'a1' });
    expect(store.lastSeq).toBe(3);
    expect(store.sources().sort()).toEqual(['api-1', 'web']);
  });

  it('bounds each source on its own, so a noisy process never evicts a quiet one', () => {
    const store = new LogStore(3);
    store.append('quiet', 'stdout', 'hello');
    for (let n = 1; n <= 50; n++) store.append('noisy', 'stdout', `n${n}`);
    expect(store.query({ sources: new Set(['noisy']) }).map((l) => l.text)).toEqual(['n48', 'n49', 'n50']);
    expect(store.query({ sources: new Set(['quiet']) }).map((l) => l.text)).toEqual(['hello']);
    expect(store.lastSeq).toBe(51);
  });

  it('keeps a deferred line as its value and makes its text when it is read, or at once for a listener', () => {
    const store = new LogStore(10);
    let formatted = 0;
    const write = store.deferredWriter('proxy', (request: { status: number; path: string }) => {
      formatted++;
      return `${request.status} ${request.path}`;
    });
    write('stdout', { status: 200, path: '/a' }, 1000);
    store.append('proxy', 'stderr', 'plain');
    write('stdout', { status: 404, path: '/b' }, 1001);
    expect(formatted).toBe(0);
    expect(store.query({ sources: null }).map((line) => [line.seq, line.stream, line.text])).toEqual([
      [1, 'stdout', '200 /a'],
      [2, 'stderr', 'plain'],
      [3, 'stdout', '404 /b'],
    ]);
    expect(formatted).toBe(2);
    const heard: string[] = [];
    const subscription = store.onLine((line) => heard.push(line.text));
    write('stdout', { status: 500, path: '/c' }, 1002);
    subscription.dispose();
    expect(heard).toEqual(['500 /c']);
  });

  it('tells text lines to onTextLine without formatting a deferred line for it', () => {
    const store = new LogStore(10);
    let formatted = 0;
    const write = store.deferredWriter('proxy', (path: { path: string }) => {
      formatted++;
      return path.path;
    });
    const texts: string[] = [];
    const subscription = store.onTextLine((line) => texts.push(`${line.source} ${line.text}`));
    write('stdout', { path: '/a' }, 1000);
    store.append('proxy', 'stdout', 'listening on :8080');
    store.append('api-1', 'stderr', 'warning');
    subscription.dispose();
    expect(texts).toEqual(['proxy listening on :8080', 'api-1 warning']);
    expect(formatted).toBe(0);
  });

  describe('query', () => {
    // a: 1 4 7 10   b: 2 5 8   c: 3 6 9
    function interleaved(): LogStore {
      const store = new LogStore(100);
      for (let n = 1; n <= 10; n++) store.append(['a', 'b', 'c'][(n - 1) % 3] as string, 'stdout', `line ${n}`);
      return store;
    }

    it('merges every source in seq order', () => {
      expect(seqs(interleaved().query({ sources: null }))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('picks sources', () => {
      const store = interleaved();
      expect(seqs(store.query({ sources: new Set(['a', 'c']) }))).toEqual([1, 3, 4, 6, 7, 9, 10]);
      expect(seqs(store.query({ sources: new Set(['b']) }))).toEqual([2, 5, 8]);
      expect(store.query({ sources: new Set(['nobody']) })).toEqual([]);
    });

    it('returns only lines after a seq', () => {
      const store = interleaved();
      expect(seqs(store.query({ sources: null, after: 7 }))).toEqual([8, 9, 10]);
      expect(seqs(store.query({ sources: new Set(['a']), after: 4 }))).toEqual([7, 10]);
      expect(store.query({ sources: null, after: 10 })).toEqual([]);
    });

    it('returns the newest lines overall for a tail, not the newest of each source', () => {
      const store = interleaved();
      expect(seqs(store.query({ sources: null, tail: 4 }))).toEqual([7, 8, 9, 10]);
      expect(seqs(store.query({ sources: new Set(['a', 'b']), tail: 3 }))).toEqual([7, 8, 10]);
      expect(store.query({ sources: null, tail: 0 })).toEqual([]);
      expect(seqs(store.query({ sources: null, tail: 1000 }))).toHaveLength(10);
    });

    it('combines after and tail: the newest of the lines after the seq', () => {
      const store = interleaved();
      expect(seqs(store.query({ sources: null, after: 5, tail: 2 }))).toEqual([9, 10]);
      expect(seqs(store.query({ sources: null, after: 8, tail: 5 }))).toEqual([9, 10]);
    });

    it('finds the newest lines when one source wrote long before the others', () => {
      const store = new LogStore(100);
      for (let n = 1; n <= 5; n++) store.append('early', 'stdout', `e${n}`);
      store.append('late', 'stdout', 'l1');
      store.append('late', 'stdout', 'l2');
      expect(store.query({ sources: null, tail: 3 }).map((l) => l.text)).toEqual(['e5', 'l1', 'l2']);
    });
  });

  describe('subscribe', () => {
    it('hands over the retained lines and then every later one, none lost or repeated', () => {
      const store = new LogStore(1000);
      for (let n = 1; n <= 100; n++) store.append(n % 2 ? 'odd' : 'even', 'stdout', `line ${n}`);
      const streamed: LogLine[] = [];
      const subscription = store.subscribe({ sources: null }, (line) => streamed.push(line));
      // Appended in the same synchronous run as the subscribe, as a child's data handler would.
      for (let n = 101; n <= 200; n++) store.append(n % 2 ? 'odd' : 'even', 'stdout', `line ${n}`);
      expect(seqs(subscription.snapshot)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(seqs(streamed)).toEqual(Array.from({ length: 100 }, (_, i) => i + 101));
      subscription.dispose();
    });

    it('loses and repeats nothing when it subscribes from inside another listener, mid-delivery', () => {
      const store = new LogStore(1000);
      store.append('api-1', 'stdout', 'before');
      const streamed: LogLine[] = [];
      let snapshot: LogLine[] = [];
      const trigger = store.onLine((line) => {
        if (line.text !== 'trigger') return;
        snapshot = store.subscribe({ sources: null }, (later) => streamed.push(later)).snapshot;
      });
      store.append('api-1', 'stdout', 'trigger');
      store.append('api-1', 'stdout', 'after');
      const seen = [...snapshot, ...streamed].map((line) => line.text);
      expect(seen).toEqual(['before', 'trigger', 'after']);
      trigger.dispose();
    });

    it('applies the selector to both the snapshot and the stream', () => {
      const store = new LogStore(1000);
      for (let n = 1; n <= 10; n++) store.append(n % 2 ? 'api-1' : 'web', 'stdout', `line ${n}`);
      const streamed: LogLine[] = [];
      const subscription = store.subscribe({ sources: new Set(['api-1']), tail: 2 }, (line) => streamed.push(line));
      store.append('web', 'stdout', 'line 11');
      store.append('api-1', 'stdout', 'line 12');
      expect(subscription.snapshot.map((l) => l.text)).toEqual(['line 7', 'line 9']);
      expect(streamed.map((l) => l.text)).toEqual(['line 12']);
      subscription.dispose();
    });

    it('stops delivering once disposed, without touching other subscribers', () => {
      const store = new LogStore(10);
      const first: string[] = [];
      const second: string[] = [];
      const one = store.subscribe({ sources: null }, (line) => first.push(line.text));
      const two = store.subscribe({ sources: null }, (line) => second.push(line.text));
      store.append('x', 'stdout', 'a');
      one.dispose();
      store.append('x', 'stdout', 'b');
      one.dispose();
      store.append('x', 'stdout', 'c');
      expect(first).toEqual(['a']);
      expect(second).toEqual(['a', 'b', 'c']);
      two.dispose();
      store.append('x', 'stdout', 'd');
      expect(second).toEqual(['a', 'b', 'c']);
    });
  });
});

describe('Emitter and DisposableStore', () => {
  let reported: unknown[];
  beforeEach(() => {
    reported = [];
    setUnexpectedErrorHandler((error) => reported.push(error));
  });
  afterEach(() => {
    setUnexpectedErrorHandler((error) => console.error('switchyard: a listener failed:', error));
  });

  it('delivers to every listener, and a disposed one hears nothing more', () => {
    const emitter = new Emitter<number>();
    const a: number[] = [];
    const b: number[] = [];
    const subA = emitter.event((n) => a.push(n));
    emitter.event((n) => b.push(n));
    emitter.fire(1);
    subA.dispose();
    emitter.fire(2);
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
    expect(emitter.listenerCount).toBe(1);
  });

  it('lets one function subscribe twice and unsubscribe each independently', () => {
    const emitter = new Emitter<string>();
    const heard: string[] = [];
    const listener = (s: string) => heard.push(s);
    const first = emitter.event(listener);
    emitter.event(listener);
    emitter.fire('x');
    expect(heard).toEqual(['x', 'x']);
    first.dispose();
    emitter.fire('y');
    expect(heard).toEqual(['x', 'x', 'y']);
    expect(emitter.listenerCount).toBe(1);
  });

  it('keeps delivering past a throwing listener and reports the error', () => {
    const emitter = new Emitter<number>();
    const heard: string[] = [];
    const boom = new Error('listener bug');
    emitter.event((n) => heard.push(`before ${n}`));
    emitter.event(() => {
      throw boom;
    });
    emitter.event((n) => heard.push(`after ${n}`));
    expect(() => emitter.fire(1)).not.toThrow();
    emitter.fire(2);
    expect(heard).toEqual(['before 1', 'after 1', 'before 2', 'after 2']);
    expect(reported).toEqual([boom, boom]);
  });

  it('keeps the log store working when one of its listeners throws', () => {
    const store = new LogStore(10);
    const heard: string[] = [];
    store.onLine(() => {
      throw new Error('bad viewer');
    });
    const subscription = store.subscribe({ sources: null }, (line) => heard.push(line.text));
    store.append('api-1', 'stdout', 'still here');
    expect(heard).toEqual(['still here']);
    expect(store.query({ sources: null }).map((l) => l.text)).toEqual(['still here']);
    expect(reported).toHaveLength(1);
    subscription.dispose();
  });

  it('removes every listener on dispose', () => {
    const emitter = new Emitter<number>();
    const heard: number[] = [];
    emitter.event((n) => heard.push(n));
    emitter.event((n) => heard.push(n * 10));
    emitter.dispose();
    emitter.fire(1);
    expect(heard).toEqual([]);
    expect(emitter.listenerCount).toBe(0);
  });

  it('disposes everything it holds, once', () => {
    const store = new DisposableStore();
    const emitter = new Emitter<number>();
    const heard: number[] = [];
    let disposals = 0;
    const returned = store.add({ dispose: () => disposals++ });
    store.add(emitter.event((n) => heard.push(n)));
    store.add(emitter.event((n) => heard.push(-n)));
    expect(typeof returned.dispose).toBe('function');
    emitter.fire(1);
    store.dispose();
    store.dispose();
    emitter.fire(2);
    expect(heard).toEqual([1, -1]);
    expect(emitter.listenerCount).toBe(0);
    expect(disposals).toBe(1);
  });

  it('disposes the rest when one disposable throws', () => {
    const store = new DisposableStore();
    const disposed: string[] = [];
    store.add({ dispose: () => disposed.push('first') });
    store.add({
      dispose: () => {
        throw new Error('dispose bug');
      },
    });
    store.add({ dispose: () => disposed.push('third') });
    let thrown: unknown;
    try {
      store.dispose();
    } catch (error) {
      thrown = error;
    }
    // Leaking the third is not fine; throwing or reporting the failure both are, swallowing it is not.
    expect(disposed).toEqual(['first', 'third']);
    expect(thrown !== undefined || reported.length > 0).toBe(true);
  });
});
