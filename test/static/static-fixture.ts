// A throwaway site on disk plus the ways the static tests talk to a server: http.request with the
// path sent verbatim (fetch would normalize `..` away), raw sockets for bytes http.request refuses
// to send, and a spawned static-main.ts exactly as the core starts it.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { createStaticHandler } from '../../main/core/static/static-handler.ts';
import { waitFor } from '../helpers/wait.ts';

/** The process entry under test. */
export const STATIC_MAIN = fileURLToPath(new URL('../../main/core/static/static-main.ts', import.meta.url));

/** Text that lives only outside the site root: seeing it in any response is a traversal. */
export const SECRET = 'TOP-SECRET-outside-the-root';

/** What the precompressed siblings of pre/app.js decode to, so a test can tell which file was sent. */
export const FROM_BR = 'console.log("from the .br sibling");\n';
export const FROM_GZ = 'console.log("from the .gz sibling");\n';

/** assets/data.json: a few KiB, so it is compressed on the fly. */
export const DATA_JSON = JSON.stringify({ items: Array.from({ length: 400 }, (_, i) => ({ i, label: `item ${i}` })) });

/** A JavaScript file of about `bytes` bytes that compresses like real bundle code. */
export function bundleText(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `export function handler${i}(event) { return { id: ${i}, name: "item-${i * 7919 % 10007}", ok: event.ok === true }; }\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join('').slice(0, bytes);
}

/** A temp folder holding `site/` (the root) and `outside/` (what must never be served). */
export interface FixtureSite {
  dir: string;
  root: string;
  /** Writes a file under the root, creating folders. */
  write(relative: string, content: string | Buffer): string;
  remove(): void;
}

/** Builds the site every static test uses. Each test file gets its own copy, so tests may edit it. */
export function createFixtureSite(): FixtureSite {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-static-'));
  const root = path.join(dir, 'site');
  const write = (relative: string, content: string | Buffer) => {
    const file = path.join(root, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };
  mkdirSync(path.join(dir, 'outside'), { recursive: true });
  writeFileSync(path.join(dir, 'outside', 'passwd'), `${SECRET}\n`);
  writeFileSync(path.join(dir, 'site-secret.txt'), `${SECRET}\n`);

  write('index.html', '<!doctype html><title>home</title><p>the index</p>\n');
  write('plain.txt', 'just some plain text\n');
  write('notes.md', '# notes\n');
  write('docs/index.html', '<!doctype html><title>docs</title>\n');
  mkdirSync(path.join(root, 'empty-dir'), { recursive: true });
  write('assets/app.3f2a9c1b.js', bundleText(3000));
  write('assets/chunk-AB12CD34.css', 'body { color: red; }\n');
  write('assets/index-DiwrgTda.js', 'export {};\n');
  write('assets/large.js', bundleText(200 * 1024));
  write('assets/small.js', 'export const small = true;\n');
  write('assets/data.json', DATA_JSON);
  write('assets/logo.png', Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(4096, 7)]));
  write('range.bin', Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251)));

  const source = write('pre/app.js', 'console.log("the original");\n');
  write('pre/app.js.br', zlib.brotliCompressSync(FROM_BR));
  write('pre/app.js.gz', zlib.gzipSync(FROM_GZ));
  // A sibling older than its source is what an interrupted rebuild leaves behind.
  write('pre/stale.js', 'console.log("edited after the build");\n');
  const staleSibling = write('pre/stale.js.gz', zlib.gzipSync('console.log("left over from the build");\n'));
  const past = new Date(Date.now() - 3600_000);
  utimesSync(staleSibling, past, past);
  utimesSync(source, past, past);

  write('.env', `${SECRET}\n`);
  write('.git/config', `${SECRET}\n`);
  write('sub/.hidden', `${SECRET}\n`);
  write('sub/visible.txt', 'visible\n');
  write('.well-known/security.txt', 'Contact: mailto:security@example.test\n');
  symlinkSync(path.join(dir, 'outside', 'passwd'), path.join(root, 'leak'));
  symlinkSync('../outside', path.join(root, 'leakdir'));
  symlinkSync('../site-secret.txt', path.join(root, 'relative-leak.txt'));
  symlinkSync('plain.txt', path.join(root, 'inside-link.txt'));
  symlinkSync('assets', path.join(root, 'assets-link'));
  symlinkSync('.env', path.join(root, 'env-link'));
  return { dir, root, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A response read in full, its body left encoded. */
export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One request on a fresh connection; `target` is sent exactly as given. */
export function get(port: number, target: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: target, method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body, text: body.toString('utf8') });
      });
      response.once('error', reject);
    });
    request.setTimeout(5000, () => request.destroy(new Error(`no answer to ${method} ${target} within 5 s`)));
    request.once('error', reject);
    request.end();
  });
}

/** Sends `bytes` on a raw connection and returns everything the server wrote before closing. */
export function rawExchange(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error('raw exchange: no close within 5 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(bytes);
  });
}

/** The status code of a raw HTTP/1.1 GET of `target`, sent byte for byte, and the whole answer. */
export async function rawGet(port: number, target: string): Promise<{ status: number; answer: string }> {
  const answer = await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
  return { status, answer };
}

/** The handler on a real in-process HTTP server on a free loopback port. */
export async function startHandlerServer(root: string, spa: boolean): Promise<{ port: number; logs: string[]; close: () => Promise<void> }> {
  const logs: string[] = [];
  const server = http.createServer(createStaticHandler({ root, spa, log: (line) => logs.push(line) }));
  // Only the handler or the test ends a connection: a cut the handler fails to make shows as a hang
  // (the test's timeout), not as a close by Node's 5 s keep-alive timer that looks the same.
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    logs,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A running static-main.ts process. */
export interface StaticProcess {
  child: ChildProcessWithoutNullStreams;
  port: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): Promise<void>;
}

/** Spawns static-main.ts as the core does and waits for its "serving" line. PORT 0 lets the kernel pick a free port. */
export async function startStaticProcess(env: Record<string, string>): Promise<StaticProcess> {
  const started = spawnStatic({ PORT: '0', ...env });
  const port = await waitFor(() => Number(/serving .* on http:\/\/127\.0\.0\.1:(\d+)/.exec(started.stdout())?.[1] ?? 0), 'the static server to print its address', {
    timeout: 10_000,
  }).catch((error: unknown) => {
    started.child.kill('SIGKILL');
    throw new Error(`${String(error)}; stderr: ${started.stderr()}`);
  });
  return { ...started, port };
}

/** Spawns static-main.ts with exactly these settings (nothing inherited but the test run's own environment). */
export function spawnStatic(env: Record<string, string>): Omit<StaticProcess, 'port'> {
  const inherited = { ...process.env };
  for (const key of ['PORT', 'SWITCHYARD_STATIC_ROOT', 'SWITCHYARD_STATIC_SPA', 'SWITCHYARD_STATIC_HOST']) delete inherited[key];
  const child = spawn(process.execPath, [STATIC_MAIN], { env: { ...inherited, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
