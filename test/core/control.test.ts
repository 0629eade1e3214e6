import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ControlReply, LogStreamItem, RunFile } from '../../shared/api.ts';
import type { LogLine } from '../../shared/process.ts';
import { ControlHub } from '../../main/core/control/control-api.ts';
import { ControlClient } from '../../main/core/control/control-client.ts';
import { ControlServer, listenAvoiding } from '../../main/core/control/control-server.ts';
import { readRunFile, removeRunFile, runFilePath, writeRunFile } from '../../main/core/host/run-file.ts';
import { SwitchyardError } from '../../main/core/errors.ts';
import { LogStore } from '../../main/core/logs/log-store.ts';
import type { Emitter } from '../../main/core/events.ts';
import { Stack } from '../../main/core/stack.ts';
import { fixtureApp, fixtureStack } from '../helpers/specs.ts';
import { waitFor, waitForState } from '../helpers/wait.ts';

const SPAM_LINES = 100_000;
const token = randomBytes(24).toString('hex');
const startedAt = Date.now();
let stack: Stack;
let server: ControlServer;
let client: ControlClient;
let shutdowns = 0;
let hub: ControlHub | undefined;
const extraHubs: ControlHub[] = [];

/** The API of another hub over the shared stack, disposed after the file. */
function hubFor(of: Stack) {
  const extra = new ControlHub(of, { startedAt, onShutdown: () => {} });
  extraHubs.push(extra);
  return extra.api;
}

beforeAll(async () => {
  stack = new Stack(
    fixtureStack([
      fixtureApp('api', 'env-dump.js', { replicas: 2 }),
      fixtureApp('ticker', 'ticker.js', { portEnv: null, env: { TICK_MS: '50' } }),
      // Started by the tests that need them, by scaling up.
      fixtureApp('spam', 'spam.js', { replicas: 0, env: { LINES: String(SPAM_LINES), THEN: 'serve' } }),
      fixtureApp('late', 'env-dump.js', { replicas: 0 }),
    ]),
    { retainedLines: 2000 },
  );
  await stack.start();
  await Promise.all(['api-1', 'api-2', 'ticker-1'].map((name) => waitForState(stack, name, 'ready')));
  hub = new ControlHub(stack, { startedAt, onShutdown: () => shutdowns++ });
  const api = hub.api;
  server = await ControlServer.listen({ api, logs: stack.logs, logSources: (name) => stack.logSources(name), token });
  client = new ControlClient({ port: server.port, token });
});

afterAll(async () => {
  await server?.close();
  hub?.dispose();
  for (const extra of extraHubs) extra.dispose();
  await stack?.kill();
});

interface RawOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Leave out the right bearer token. */
  anonymous?: boolean;
}

/** One request with nothing added but what Node always adds (Host: 127.0.0.1:PORT unless given). */
function raw(options: RawOptions): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; reply: ControlReply | null }> {
  const headers: Record<string, string> = { ...(options.anonymous ? {} : { authorization: `Bearer ${token}` }), ...options.headers };
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: server.port, method: options.method ?? 'POST', path: options.path ?? '/v1/call', headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let reply: ControlReply | null = null;
          try {
            reply = JSON.parse(text) as ControlReply;
          } catch {
            // Not JSON; the caller looks at the text.
          }
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, reply });
        });
      },
    );
    request.on('error', (error) => reject(new Error(`request failed before an answer: ${error.message}`)));
    request.end(options.body);
  });
}

const statusCall = JSON.stringify({ method: 'status', args: [] });

function errorOf(reply: ControlReply | null): { code: string; message: string } {
  if (!reply || reply.ok) throw new Error(`expected an error reply, got ${JSON.stringify(reply)}`);
  return reply.error;
}

/**
 * A GET /v1/logs on `port` whose NDJSON items collect in `items`; with `paused` nothing is read
 * (the socket fills up) until `resume` is called.
 */
function follow(query: string, { port = server.port, paused = false }: { port?: number; paused?: boolean } = {}) {
  const items: LogStreamItem[] = [];
  let pending = '';
  let reading = !paused;
  let response: http.IncomingMessage | null = null;
  const read = (res: http.IncomingMessage) =>
    res.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      let newline = pending.indexOf('\n');
      while (newline !== -1) {
        const text = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (text) items.push(JSON.parse(text) as LogStreamItem);
        newline = pending.indexOf('\n');
      }
    });
  const request = http.request({ host: '127.0.0.1', port, method: 'GET', path: `/v1/logs${query}`, headers: { authorization: `Bearer ${token}` }, agent: false });
  const answered = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.on('response', (res) => {
      response = res;
      if (reading) read(res);
      resolve(res);
    });
    request.on('error', reject);
  });
  // Closing the request on purpose makes it fail; only the tests that wait for an answer care.
  answered.catch(() => {});
  request.end();
  return {
    items,
    answered,
    resume() {
      if (!response) throw new Error('no response yet');
      reading = true;
      read(response);
    },
    close() {
      request.destroy();
    },
  };
}

function linesOf(items: LogStreamItem[]): LogLine[] {
  return items.flatMap((item) => ('line' in item ? [item.line] : []));
}

/** The number of listeners on the store's line event: a follower that left must not leave one behind. */
function storeListeners(): number {
  return (stack.logs as unknown as { _onLine: Emitter<LogLine> })._onLine.listenerCount;
}

describe('ControlClient over a real stack', () => {
  it('reads the status and the process list', async () => {
    const status = await client.status();
    expect(status).toMatchObject({ name: 'test', file: stack.spec.file, pid: process.pid, startedAt });
    expect(status.spec.apps.map((app) => app.name)).toEqual(['api', 'ticker', 'spam', 'late']);
    const processes = await client.listProcesses();
    expect(processes.map((p) => p.name)).toEqual(['api-1', 'api-2', 'ticker-1']);
    expect(processes.find((p) => p.name === 'api-1')).toMatchObject({ state: 'ready', kind: 'worker', app: 'api' });
    expect(processes.find((p) => p.name === 'api-1')?.pid).toBe(stack.find('api-1')?.currentPid);
  });

  it('queries logs by name, tail and after', async () => {
    const api = await client.logs({ name: 'api', tail: 4 });
    expect(api).toHaveLength(4);
    expect(api.every((l) => l.source === 'api-1' || l.source === 'api-2')).toBe(true);
    expect(api.map((l) => l.seq)).toEqual([...api.map((l) => l.seq)].sort((a, b) => a - b));
    await waitFor(() => stack.logs.query({ sources: new Set(['ticker-1']) }).filter((l) => l.stream === 'stdout').length >= 5, 'five ticks');
    const ticks = await client.logs({ name: 'ticker-1', tail: 5 });
    const after = ticks[1]?.seq as number;
    const later = await client.logs({ name: 'ticker-1', after });
    expect(later.length).toBeGreaterThanOrEqual(3);
    expect(later.every((l) => l.seq > after && l.source === 'ticker-1')).toBe(true);
    expect(later.map((l) => l.text).slice(0, 3)).toEqual(ticks.slice(2).map((l) => l.text));
  });

  it('restarts a worker and scales an app', async () => {
    const before = stack.find('api-1')?.currentPid;
    const api2 = stack.find('api-2')?.currentPid;
    expect(await client.restart('api-1')).toEqual(['api-1']);
    await waitForState(stack, 'api-1', 'ready');
    expect(stack.find('api-1')?.currentPid).not.toBe(before);
    expect(stack.find('api-2')?.currentPid).toBe(api2);

    expect(await client.scale('api', 3)).toEqual(['api-1', 'api-2', 'api-3']);
    await waitForState(stack, 'api-3', 'ready');
    expect((await client.listProcesses()).map((p) => p.name)).toEqual(['api-1', 'api-2', 'api-3', 'ticker-1']);
    expect(await client.scale('api', 2)).toEqual(['api-1', 'api-2']);
  });

  it('carries errors over as SwitchyardErrors with their code', async () => {
    const error = await client.restart('nope').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect((error as SwitchyardError).code).toBe('not-found');
    expect((error as SwitchyardError).message).toMatch(/known: api, ticker, spam, late, api-1, api-2, ticker-1, all/);
    const wrong = await new ControlClient({ port: server.port, token: 'x'.repeat(token.length) }).status().catch((caught: unknown) => caught);
    expect((wrong as SwitchyardError).code).toBe('unauthorized');
  });

  it('answers shutdown first and then starts the stop', async () => {
    const before = shutdowns;
    await client.shutdown();
    await waitFor(() => shutdowns === before + 1, 'onShutdown to run');
  });
});

describe('ControlHub sessions', () => {
  it('streams every line to its sessions, an access line made from its record too, and none while nobody watches', () => {
    const own = new ControlHub(stack, { startedAt, onShutdown: () => {} });
    extraHubs.push(own);
    const formatted: string[] = [];
    const write = stack.logs.deferredWriter('hub-test', (record: { path: string }) => {
      formatted.push(record.path);
      return `GET ${record.path}`;
    });
    const heard = (events: { topic: string; data: unknown }[]) => events.flatMap((event) => (event.topic === 'logs' ? (event.data as LogLine[]) : [])).filter((line) => line.source === 'hub-test').map((line) => line.text);
    const first: { topic: string; data: unknown }[] = [];
    const second: { topic: string; data: unknown }[] = [];
    const one = own.subscribe({}, (event) => first.push(event));
    const two = own.subscribe({}, (event) => second.push(event));
    write('stdout', { path: '/while-two' }, Date.now());
    one.dispose();
    stack.logs.append('hub-test', 'stdout', 'while one');
    two.dispose();
    write('stdout', { path: '/while-none' }, Date.now());
    // Formatted once for both sessions, and not while none watched.
    expect(formatted).toEqual(['/while-two']);
    const three = own.subscribe({}, (event) => first.push(event));
    // Nothing is lost: a new session's snapshot reads it (formatted then).
    expect(three.snapshot.logs.filter((line) => line.source === 'hub-test').map((line) => line.text)).toEqual(['GET /while-two', 'while one', 'GET /while-none']);
    write('stdout', { path: '/again' }, Date.now());
    three.dispose();
    expect(heard(first)).toEqual(['GET /while-two', 'GET /again']);
    expect(heard(second)).toEqual(['GET /while-two', 'while one']);
  });
});

describe('ControlServer guards', () => {
  it('refuses a request without the token, or with a wrong one', async () => {
    const none = await raw({ anonymous: true, body: statusCall });
    expect(none.status).toBe(401);
    expect(errorOf(none.reply).code).toBe('unauthorized');
    const sameLength = await raw({ anonymous: true, headers: { authorization: `Bearer ${'0'.repeat(token.length)}` }, body: statusCall });
    expect(sameLength.status).toBe(401);
    const shorter = await raw({ anonymous: true, headers: { authorization: `Bearer ${token.slice(1)}` }, body: statusCall });
    expect(shorter.status).toBe(401);
    const basic = await raw({ anonymous: true, headers: { authorization: `Basic ${token}` }, body: statusCall });
    expect(basic.status).toBe(401);
    const logs = await raw({ anonymous: true, method: 'GET', path: '/v1/logs' });
    expect(logs.status).toBe(401);
    const ok = await raw({ body: statusCall });
    expect(ok.status).toBe(200);
  });

  it('refuses a foreign Host header even with the right token', async () => {
    for (const host of [`evil.example:${server.port}`, 'evil.example', `127.0.0.1:${server.port + 1}`]) {
      const result = await raw({ headers: { host }, body: statusCall });
      expect(result.status, host).toBe(403);
      expect(errorOf(result.reply).code).toBe('forbidden');
    }
    const logs = await raw({ method: 'GET', path: '/v1/logs', headers: { host: `evil.example:${server.port}` } });
    expect(logs.status).toBe(403);
    const localhost = await raw({ headers: { host: `localhost:${server.port}` }, body: statusCall });
    expect(localhost.status).toBe(200);
  });

  it('refuses a foreign Origin and accepts its own', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${server.port}`, 'null', `https://127.0.0.1:${server.port}`, 'http://127.0.0.1:1']) {
      const result = await raw({ headers: { origin }, body: statusCall });
      expect(result.status, origin).toBe(403);
      expect(errorOf(result.reply).message).toContain('Origin');
    }
    for (const origin of [`http://127.0.0.1:${server.port}`, `http://localhost:${server.port}`]) {
      const result = await raw({ headers: { origin }, body: statusCall });
      expect(result.status, origin).toBe(200);
      expect(result.reply?.ok).toBe(true);
    }
  });

  it('answers 413 to a body over 64 KiB', async () => {
    const body = JSON.stringify({ method: 'status', args: [], padding: 'x'.repeat(70 * 1024) });
    const result = await raw({ body });
    expect(result.status).toBe(413);
    expect(errorOf(result.reply).message).toMatch(/over 65536 bytes/);
    // The server is still fine afterwards.
    expect((await raw({ body: statusCall })).status).toBe(200);
  });

  it('answers 400 to malformed JSON', async () => {
    const result = await raw({ body: '{"method": "status", args: [' });
    expect(result.status).toBe(400);
    expect(errorOf(result.reply)).toEqual({ code: 'bad-request', message: 'request body is not JSON' });
  });

  it('answers 400 naming the problem for an unknown method or wrong arguments', async () => {
    const unknown = await raw({ body: JSON.stringify({ method: 'exec', args: ['rm -rf /'] }) });
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown.reply).message).toMatch(/at method/);
    expect(errorOf(unknown.reply).message).toContain('scale');

    const types = await raw({ body: JSON.stringify({ method: 'scale', args: ['api', 'two'] }) });
    expect(types.status).toBe(400);
    expect(errorOf(types.reply).message).toMatch(/at args\.1: .*expected number/);

    const missing = await raw({ body: JSON.stringify({ method: 'restart', args: [] }) });
    expect(missing.status).toBe(400);
    expect(errorOf(missing.reply).message).toMatch(/args/);

    const extra = await raw({ body: JSON.stringify({ method: 'logs', args: [{ name: 'api', grep: '.*' }] }) });
    expect(extra.status).toBe(400);
    expect(errorOf(extra.reply).message).toContain('grep');

    const tooMany = await raw({ body: JSON.stringify({ method: 'scale', args: ['api', 1000] }) });
    expect(tooMany.status).toBe(400);
    expect(stack.processes().filter((p) => p.app === 'api')).toHaveLength(2);
  });

  it('answers 404 with the known names for an unknown process, and for an unknown endpoint', async () => {
    const result = await raw({ body: JSON.stringify({ method: 'restart', args: ['nope'] }) });
    expect(result.status).toBe(404);
    const error = errorOf(result.reply);
    expect(error.code).toBe('not-found');
    expect(error.message).toContain("'nope'");
    expect(error.message).toContain('api-1');

    const logs = await raw({ method: 'GET', path: '/v1/logs?name=nope' });
    expect(logs.status).toBe(404);
    expect(errorOf(logs.reply).message).toContain('ticker-1');

    expect((await raw({ method: 'GET', path: '/v1/call' })).status).toBe(404);
    expect((await raw({ method: 'POST', path: '/v2/call', body: statusCall })).status).toBe(404);
  });

  it('listens on a free port other than those the stack binds after it, never handing one back while it looks', async () => {
    const refused: number[] = [];
    const server = await listenAvoiding(0, (port) => refused.length < 2 && refused.push(port) > 0);
    try {
      const port = (server.address() as net.AddressInfo).port;
      expect(refused).toHaveLength(2);
      expect(new Set([...refused, port]).size).toBe(3);
      // The refused ones are let go once a good one is found.
      for (const closed of refused) {
        await waitFor(async () => {
          const connected = await new Promise<boolean>((resolve) => {
            const socket = net.connect(closed, '127.0.0.1', () => (socket.destroy(), resolve(true)));
            socket.on('error', () => resolve(false));
          });
          return !connected;
        }, `port ${closed} to be let go`);
      }
    } finally {
      server.close();
    }
  });

  it('listens on 127.0.0.1 only', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const connect = (host: string) =>
      new Promise<string>((resolve) => {
        const socket = net.connect({ host, port: server.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
    expect(await connect('127.0.0.1')).toBe('connected');
    expect(await connect('::1')).toBe('ECONNREFUSED');
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && address.family === 'IPv4')
      .map((address) => address?.address as string);
    for (const address of external) expect(await connect(address), address).toBe('ECONNREFUSED');
  });
});

describe('followed logs', () => {
  it('streams the retained lines, then live ones, as NDJSON with nothing between them lost', async () => {
    const listenersBefore = storeListeners();
    const follower = follow('?name=ticker&tail=3');
    const response = await follower.answered;
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-ndjson');
    await waitFor(() => follower.items.length >= 8, 'eight streamed lines');
    follower.close();
    const lines = linesOf(follower.items);
    expect(lines).toHaveLength(follower.items.length);
    expect(lines.every((l) => l.source === 'ticker-1' && l.stream === 'stdout')).toBe(true);
    // Ticks count up by one: the snapshot's last tick is followed by the very next one.
    const ticks = lines.map((l) => Number(/^tick (\d+)$/.exec(l.text)?.[1]));
    expect(ticks).toEqual(ticks.map((_, i) => (ticks[0] as number) + i));
    await waitFor(() => storeListeners() === listenersBefore, 'the follower to unsubscribe once gone');
  });

  it('follows through the client until aborted', async () => {
    const items: LogStreamItem[] = [];
    const abort = new AbortController();
    const following = client.followLogs({ name: 'ticker-1', tail: 1 }, (item) => items.push(item), abort.signal);
    await waitFor(() => items.length >= 3, 'three lines through the client');
    abort.abort();
    await following;
    const seqs = linesOf(items).map((l) => l.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const unknown = await client.followLogs({ name: 'nope' }, () => {}).catch((caught: unknown) => caught);
    expect((unknown as SwitchyardError).code).toBe('not-found');
  });

  it('skips a reader that never reads instead of slowing the stack, and tells it how many it missed', async () => {
    let spammed = 0;
    const counting = stack.logs.onLine((line) => {
      if (line.source === 'spam-1' && line.stream === 'stdout' && line.text.startsWith('line ')) spammed++;
    });
    const follower = follow('?tail=0', { paused: true });
    await follower.answered;
    await stack.scale('spam', 1);
    // Every line reaches the store while the reader has not read a byte: a stack held back by its
    // reader would stall short of them.
    await waitFor(() => spammed === SPAM_LINES, `all ${SPAM_LINES} spam lines in the store (have ${spammed})`, { timeout: 20_000 });
    counting.dispose();
    expect(follower.items).toEqual([]);

    follower.resume();
    // The ticker keeps writing, so a line follows the skipped ones and carries the note.
    await waitFor(() => follower.items.some((item) => 'dropped' in item), 'a dropped note');
    const lastSpam = stack.logs.lastSeq;
    await waitFor(() => linesOf(follower.items).some((l) => l.seq > lastSpam), 'lines written after the spam');
    follower.close();

    const dropped = follower.items.flatMap((item) => ('dropped' in item ? [item.dropped] : []));
    expect(dropped.every((n) => n > 0)).toBe(true);
    expect(dropped.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // Every line is either delivered or counted: after a note of N, the next line's seq jumps by N + 1.
    let previous: number | null = null;
    let skipped = 0;
    for (const item of follower.items) {
      if ('dropped' in item) {
        skipped += item.dropped;
        continue;
      }
      if (previous !== null) expect(item.line.seq - previous - 1, `gap before seq ${item.line.seq}`).toBe(skipped);
      previous = item.line.seq;
      skipped = 0;
    }
    const delivered = linesOf(follower.items).filter((l) => l.source === 'spam-1' && l.text.startsWith('line '));
    expect(delivered.length).toBeLessThan(SPAM_LINES);
    expect(delivered.length).toBeGreaterThan(0);
    await stack.scale('spam', 0);
  });

  it('answers a follow at once, before any line matches', async () => {
    const own = await ControlServer.listen({ api: hubFor(stack), logs: new LogStore(), logSources: () => null, token });
    const follower = follow('', { port: own.port });
    try {
      // Its store has no line at all: a server that waited for one would never answer.
      expect((await follower.answered).statusCode).toBe(200);
    } finally {
      follower.close();
      await own.close();
    }
  });

  it('follows an app through a scale-up: a new worker\'s lines arrive too', async () => {
    // `late` has never had a worker, so nothing about late-1 is known when the follow begins.
    const listeners = storeListeners();
    const follower = follow('?name=late&tail=0');
    try {
      await waitFor(() => storeListeners() === listeners + 1, 'the follow to be subscribed');
      await stack.scale('late', 1);
      await waitForState(stack, 'late-1', 'ready');
      await waitFor(() => linesOf(follower.items).some((l) => l.source === 'late-1'), 'a line from late-1 on the followed stream');
    } finally {
      follower.close();
      await stack.scale('late', 0);
    }
  });

  it('tells a reader that catches up how many lines it missed, even when no new line follows', async () => {
    const logs = new LogStore(1000);
    const own = await ControlServer.listen({ api: hubFor(stack), logs, logSources: () => null, token });
    logs.append('app-1', 'stdout', 'first');
    const follower = follow('?tail=1', { port: own.port, paused: true });
    try {
      await follower.answered;
      // Write the way a child does, in bursts between which the server gets to send, until the
      // paused reader's socket is full and lines are skipped; then go quiet.
      const text = 'x'.repeat(200);
      for (let burst = 0; burst < 200; burst++) {
        for (let n = 0; n < 500; n++) logs.append('app-1', 'stdout', text);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      follower.resume();
      await waitFor(() => follower.items.some((item) => 'dropped' in item), 'a dropped note without any further line');
      const dropped = follower.items.reduce((sum, item) => sum + ('dropped' in item ? item.dropped : 0), 0);
      // Every line written is accounted for: delivered, or counted in a note.
      expect(linesOf(follower.items).length + dropped).toBe(logs.lastSeq);
    } finally {
      follower.close();
      await own.close();
    }
  });

  it('ends followed streams on close instead of hanging', async () => {
    const second = await ControlServer.listen({
      api: hubFor(stack),
      logs: stack.logs,
      logSources: (name) => stack.logSources(name),
      token,
    });
    const follower = follow('?name=ticker&tail=1', { port: second.port });
    const response = await follower.answered;
    const ended = new Promise<string>((resolve) => {
      response.on('end', () => resolve('ended'));
      response.on('error', () => resolve('errored'));
    });
    // A close that waited for the follower to leave would never come (the test's timeout).
    expect(await second.close().then(() => 'closed')).toBe('closed');
    expect(await ended).toBe('ended');
    expect(linesOf(follower.items).length).toBeGreaterThan(0);
  });
});

describe('run file', () => {
  it('is written with mode 0600 in a 0700 folder, and read back', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-run-'));
    try {
      const stackFile = path.join(dir, 'switchyard.yaml');
      const file = runFilePath(stackFile);
      expect(file).toBe(path.join(dir, '.switchyard', 'run.json'));
      const contents: RunFile = { pid: process.pid, port: 45678, token: 'secret-token', stackFile, startedAt };
      const umask = process.umask(0);
      try {
        // With no umask to help, the modes must still come out tight.
        writeRunFile(file, contents);
      } finally {
        process.umask(umask);
      }
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
      expect(readRunFile(file)).toEqual(contents);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(contents);
      expect(readdirSync(path.dirname(file))).toEqual(['run.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is removed only by the pid that wrote it', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-run-'));
    try {
      const file = runFilePath(path.join(dir, 'switchyard.yaml'));
      writeRunFile(file, { pid: 4242, port: 1, token: 't', stackFile: 'x', startedAt });
      removeRunFile(file, process.pid);
      expect(readRunFile(file)?.pid).toBe(4242);
      removeRunFile(file);
      expect(readRunFile(file)?.pid).toBe(4242);
      removeRunFile(file, 4242);
      expect(readRunFile(file)).toBeNull();
      expect(readdirSync(path.dirname(file))).toEqual([]);
      // Nothing to remove is not an error.
      expect(() => removeRunFile(file, 4242)).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a missing, broken or incomplete run file as none', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-run-'));
    try {
      const file = path.join(dir, '.switchyard', 'run.json');
      expect(readRunFile(file)).toBeNull();
      mkdirSync(path.dirname(file));
      writeFileSync(file, '{"pid": 1, "port": ');
      expect(readRunFile(file)).toBeNull();
      writeFileSync(file, JSON.stringify({ pid: 1, port: 2 }));
      expect(readRunFile(file)).toBeNull();
      removeRunFile(file, 1);
      expect(readFileSync(file, 'utf8')).toContain('"port"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
