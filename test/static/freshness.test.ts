// What the static server keeps in memory (looks at the disk shared within an event-loop turn, file
// bodies, header lists) never outlives a change on disk: each test changes a file the way an editor
// or a build does and asks again at once, some while other clients keep the server busy.

import { renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CACHED_BODY_BYTES } from '../../main/core/static/static-handler.ts';
import { TurnMemo } from '../../main/core/static/turn-memo.ts';
import { waitFor } from '../helpers/wait.ts';
import { createFixtureSite, get, startHandlerServer, startStaticProcess, type FixtureSite, type StaticProcess } from './static-fixture.ts';

let site: FixtureSite;
let port: number;
let close: () => Promise<void>;

beforeAll(async () => {
  site = createFixtureSite();
  ({ port, close } = await startHandlerServer(site.root, true));
});

afterAll(async () => {
  await close();
  site.remove();
});

/** Writes `relative` with an mtime a minute old, so its body is cached from the first request. */
function writeSettled(relative: string, content: string | Buffer): string {
  const file = site.write(relative, content);
  const past = new Date(Date.now() - 60_000);
  utimesSync(file, past, past);
  return file;
}

/** Asks twice, so the second answer comes from whatever the server keeps in memory. */
async function warm(target: string, expected: string): Promise<void> {
  for (let i = 0; i < 2; i++) expect((await get(port, target)).text).toBe(expected);
}

describe('changes between two requests', () => {
  it('serves a rename at its new name and 404s the old one', async () => {
    const file = writeSettled('moved/before.txt', 'moving\n');
    await warm('/moved/before.txt', 'moving\n');
    renameSync(file, path.join(site.root, 'moved/after.txt'));
    expect((await get(port, '/moved/before.txt')).status).toBe(404);
    expect((await get(port, '/moved/after.txt')).text).toBe('moving\n');
  });

  it('serves a file replaced by an atomic rename, as editors save, even at the same size and mtime', async () => {
    const file = writeSettled('atomic.txt', 'old bytes\n');
    await warm('/atomic.txt', 'old bytes\n');
    const before = statSync(file);
    const temporary = path.join(site.root, '.atomic.txt.swp');
    writeFileSync(temporary, 'new bytes\n');
    utimesSync(temporary, before.atime, before.mtime);
    renameSync(temporary, file);
    const reply = await get(port, '/atomic.txt');
    expect(reply.text).toBe('new bytes\n');
    expect(reply.headers['last-modified']).toBe(before.mtime.toUTCString());
  });

  it('answers a deleted file with 404, and the same path again once it is back', async () => {
    const file = writeSettled('gone.txt', 'here\n');
    await warm('/gone.txt', 'here\n');
    rmSync(file);
    expect((await get(port, '/gone.txt')).status).toBe(404);
    writeSettled('gone.txt', 'back\n');
    expect((await get(port, '/gone.txt')).text).toBe('back\n');
  });

  it('gives an edited file new validators, HEAD length and ranges at once', async () => {
    const file = writeSettled('validators.txt', '0123456789\n');
    await warm('/validators.txt', '0123456789\n');
    const old = await get(port, '/validators.txt');
    writeFileSync(file, 'abcdefghijklmnopqrstuvwxyz\n');
    const revalidated = await get(port, '/validators.txt', { 'if-none-match': old.headers.etag as string });
    expect(revalidated.status).toBe(200);
    expect(revalidated.text).toBe('abcdefghijklmnopqrstuvwxyz\n');
    expect((await get(port, '/validators.txt', { 'if-none-match': revalidated.headers.etag as string })).status).toBe(304);
    expect((await get(port, '/validators.txt', {}, 'HEAD')).headers['content-length']).toBe('27');
    expect((await get(port, '/validators.txt', { range: 'bytes=20-25' })).text).toBe('uvwxyz');
  });

  it('serves an edit of a file too large to keep in memory, whole and in ranges', async () => {
    const size = MAX_CACHED_BODY_BYTES + 1;
    const file = writeSettled('huge.bin', Buffer.alloc(size, 'a'));
    const first = await get(port, '/huge.bin');
    expect(first.body.length).toBe(size);
    expect(first.body.every((byte) => byte === 0x61)).toBe(true);
    writeFileSync(file, Buffer.alloc(size, 'b'));
    const second = await get(port, '/huge.bin');
    expect(second.body.length).toBe(size);
    expect(second.body.every((byte) => byte === 0x62)).toBe(true);
    expect((await get(port, '/huge.bin', { range: `bytes=${size - 3}-` })).text).toBe('bbb');
  });

  it('keeps the SPA fallback for a deleted page and serves the page again once it is back', async () => {
    const file = writeSettled('about/index.html', '<p>about</p>\n');
    expect((await get(port, '/about/', { accept: 'text/html' })).text).toBe('<p>about</p>\n');
    rmSync(file);
    const fallback = await get(port, '/about/', { accept: 'text/html' });
    expect(fallback.status).toBe(200);
    expect(fallback.text).toContain('the index');
    expect(fallback.headers['cache-control']).toBe('no-cache');
    writeSettled('about/index.html', '<p>about again</p>\n');
    expect((await get(port, '/about/', { accept: 'text/html' })).text).toBe('<p>about again</p>\n');
  });
});

describe('a file changed while it is being served', () => {
  let server: StaticProcess;

  beforeAll(async () => {
    server = await startStaticProcess({ SWITCHYARD_STATIC_ROOT: site.root, SWITCHYARD_STATIC_SPA: '0' });
  });

  afterAll(async () => {
    await server.kill();
  });

  it('answers every request sent after an edit with the new bytes, while 8 keep-alive clients keep it busy', async () => {
    const file = writeSettled('busy.txt', 'before the edit\n');
    const load = new BusyClients(server.port, '/busy.txt', 8);
    try {
      await waitFor(() => load.answered >= 200, 'the clients to be answered 200 times');
      load.change(() => writeFileSync(file, 'after the edit, longer\n'));
      await waitFor(() => load.answeredAfterChange >= 200, 'the clients to be answered 200 times after the edit');
      load.change(() => rmSync(file));
      await waitFor(() => load.answeredAfterChange >= 200, 'the clients to be answered 200 times after the delete');
    } finally {
      await load.stop();
    }
    expect(load.failures).toEqual([]);
    expect(load.answersAfter(1)).toEqual(new Set(['200 after the edit, longer\n']));
    expect(load.answersAfter(2)).toEqual(new Set([404]));
    // Requests already on their way when the file went away were answered too, with the file or a 404.
    expect([...load.answersDuringChanges()].every((answer) => answer === 404 || String(answer).startsWith('200 '))).toBe(true);
  });
});

const DURING_CHANGE = -1;

/** Keep-alive clients asking for one path in a loop, recording what each answer said and which change it was sent after. */
class BusyClients {
  answered = 0;
  readonly failures: string[] = [];
  private readonly agent: http.Agent;
  /** Each answer, with the changes finished when its request was sent and when it was answered. */
  private readonly answers: { sent: number; answered: number; answer: string | number }[] = [];
  /** How many changes have finished, or DURING_CHANGE while one is being made. */
  private changes = 0;
  private stopping = false;
  private readonly port: number;
  private readonly target: string;
  private readonly loops: Promise<void>[];

  constructor(
    port: number,
    target: string,
    clients: number,
  ) {
    this.port = port;
    this.target = target;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    this.loops = Array.from({ length: clients }, () => this.loop());
  }

  /** Answers to requests sent after the latest change had finished. */
  get answeredAfterChange(): number {
    return this.answers.filter((answer) => answer.sent === this.changes).length;
  }

  /** Changes the file: requests sent while `make` runs may see either side of it, those sent afterwards must see it. */
  change(make: () => void): void {
    const done = this.changes + 1;
    this.changes = DURING_CHANGE;
    make();
    this.changes = done;
  }

  /** The distinct answers to requests sent after change `count` had finished and answered before the next began: `200 <body>` or a bare status. */
  answersAfter(count: number): Set<string | number> {
    return new Set(this.answers.filter((answer) => answer.sent === count && answer.answered === count).map((answer) => answer.answer));
  }

  /** The distinct answers to requests that were on their way while a change was being made. */
  answersDuringChanges(): Set<string | number> {
    return new Set(this.answers.filter((answer) => answer.sent !== answer.answered).map((answer) => answer.answer));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    this.agent.destroy();
  }

  private async loop(): Promise<void> {
    // Bounded, so a server that stops answering fails the test's wait instead of spinning forever.
    for (let i = 0; i < 100_000 && !this.stopping; i++) {
      const sent = this.changes;
      try {
        const { status, text } = await this.request();
        this.answers.push({ sent, answered: this.changes, answer: status === 200 ? `200 ${text}` : status });
        this.answered++;
      } catch (error) {
        this.failures.push(String(error));
        return;
      }
    }
  }

  private request(): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: this.port, path: this.target, agent: this.agent }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.once('end', () => resolve({ status: response.statusCode ?? 0, text }));
          response.once('error', reject);
        })
        .once('error', reject);
    });
  }
}

describe('TurnMemo', () => {
  it('holds what was set for the rest of the turn and forgets it in the next', async () => {
    const memo = new TurnMemo<number>();
    memo.set('a', 1);
    await Promise.resolve();
    expect(memo.get('a')).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(memo.get('a')).toBeUndefined();
    memo.set('a', 2);
    expect(memo.get('a')).toBe(2);
  });
});
