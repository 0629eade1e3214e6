// `switchyard app` (what `npm start` runs): with a stand-in for the Electron binary it opens the app
// with the right arguments and environment and relays Ctrl-C; where the app cannot start (no binary,
// no display, a missing system library) it says why and runs the same stack headless.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { DESKTOP_READY_MARKER } from '../../shared/desktop.ts';
import { displayProblem } from '../../main/cli/commands/app.ts';
import { CLI, stackDir } from '../helpers/cli.ts';
import { FIXTURES } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An executable stand-in for Electron: `body` is the script after the shebang. */
function fakeElectron(body: string): { binary: string; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-fake-electron-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const binary = path.join(dir, 'electron');
  writeFileSync(binary, `#!${process.execPath}\n${body}\n`);
  chmodSync(binary, 0o755);
  return { binary, dir };
}

async function stack(): Promise<{ dir: string; port: number }> {
  const port = await getPort();
  const node = JSON.stringify(process.execPath);
  const { dir, cleanup } = stackDir(
    [
      'name: launched',
      'proxy:',
      `  listen: ${port}`,
      '  routes: [{ path: /, to: api }]',
      'apps:',
      '  api:',
      `    command: [${node}, ${JSON.stringify(path.join(FIXTURES, 'graceful.js'))}]`,
      '    health: { path: /healthz, interval: 200ms }',
      '    stop: { timeout: 2s }',
      '',
    ].join('\n'),
  );
  cleanups.push(cleanup);
  return { dir, port };
}

function startApp(cwd: string, env: Record<string, string | undefined>) {
  const child = execa(process.execPath, [CLI, 'app'], { cwd, env: { NO_COLOR: '1', ...env }, extendEnv: true, reject: false, buffer: false, stdin: 'ignore' });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  cleanups.push(async () => {
    child.kill('SIGKILL');
    await child;
  });
  return { child, output: () => output };
}

describe('switchyard app', () => {
  it('opens the app on the stack, without ELECTRON_RUN_AS_NODE, and relays Ctrl-C to it', async () => {
    const { dir } = await stack();
    const fake = fakeElectron(`
const fs = require('node:fs');
fs.writeFileSync(${JSON.stringify('__DIR__/seen.json')}, JSON.stringify({ argv: process.argv.slice(2), runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null }));
// The handler first: the launcher relays Ctrl-C as soon as it reads the marker.
process.on('SIGINT', () => { console.log('fake electron: quitting'); process.exit(0); });
console.log(${JSON.stringify(DESKTOP_READY_MARKER)} + ' (fake)');
setInterval(() => {}, 1000);
`);
    writeFileSync(fake.binary, readFileSync(fake.binary, 'utf8').replace('__DIR__', fake.dir));
    const app = startApp(dir, { SWITCHYARD_ELECTRON: fake.binary, DISPLAY: ':99', ELECTRON_RUN_AS_NODE: '1' });
    await waitFor(() => app.output().includes(DESKTOP_READY_MARKER), 'the app to say it is ready');
    const seen = JSON.parse(readFileSync(path.join(fake.dir, 'seen.json'), 'utf8')) as { argv: string[]; runAsNode: string | null };
    expect(seen.argv).toEqual([REPO + path.sep, path.join(dir, 'switchyard.yaml')]);
    expect(seen.runAsNode).toBeNull();
    app.child.kill('SIGINT');
    const result = await app.child;
    expect(result.exitCode).toBe(0);
    expect(app.output()).toContain('fake electron: quitting');
    expect(app.output()).not.toContain('headless');
  });

  it('runs the stack headless, saying why, when Electron fails to start', async () => {
    const { dir, port } = await stack();
    const fake = fakeElectron(`console.error('electron: error while loading shared libraries: libgtk-3.so.0: cannot open shared object file'); process.exit(127);`);
    const app = startApp(dir, { SWITCHYARD_ELECTRON: fake.binary, DISPLAY: ':99' });
    await waitFor(() => /dashboard http:\/\/127\.0\.0\.1:\d+\/#token=/.test(app.output()) && app.output().includes('all 2 ready'), 'the headless stack', { timeout: 20_000 });
    expect(app.output()).toMatch(/the desktop app cannot start here: Electron exited before its window opened \(exit 127: .*libgtk-3\.so\.0/);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    app.child.kill('SIGINT');
    expect((await app.child).exitCode).toBe(0);
  });

  it('runs headless when there is no binary, naming the variable that points nowhere', async () => {
    const { dir } = await stack();
    const app = startApp(dir, { SWITCHYARD_ELECTRON: '/nonexistent/electron', DISPLAY: ':99' });
    await waitFor(() => app.output().includes('all 2 ready'), 'the headless stack', { timeout: 20_000 });
    expect(app.output()).toContain('SWITCHYARD_ELECTRON names /nonexistent/electron, which does not exist');
    app.child.kill('SIGINT');
    expect((await app.child).exitCode).toBe(0);
  });

  it('runs headless without a display, and never starts Electron there', async () => {
    const { dir } = await stack();
    const fake = fakeElectron(`require('node:fs').writeFileSync(${JSON.stringify(path.join(os.tmpdir(), 'sy-should-not-run'))}, 'ran'); process.exit(0);`);
    const app = startApp(dir, { SWITCHYARD_ELECTRON: fake.binary, DISPLAY: undefined, WAYLAND_DISPLAY: undefined });
    await waitFor(() => app.output().includes('all 2 ready'), 'the headless stack', { timeout: 20_000 });
    expect(app.output()).toContain('there is no display (DISPLAY and WAYLAND_DISPLAY are unset)');
    app.child.kill('SIGINT');
    await app.child;
    expect(() => readFileSync(path.join(os.tmpdir(), 'sy-should-not-run'))).toThrow();
  });

  it('reports a broken stack file in the terminal before opening anything', async () => {
    const { dir, cleanup } = stackDir('apps:\n  api:\n    command: node x.js\n    replica: 2\n');
    cleanups.push(cleanup);
    const result = await execa(process.execPath, [CLI, 'app'], { cwd: dir, env: { NO_COLOR: '1', SWITCHYARD_ELECTRON: '/nonexistent' }, reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/switchyard\.yaml:4:5: error: .*'replica'/);
    expect(result.stderr).not.toContain('headless');
  });

  it('knows when a window can open', () => {
    expect(displayProblem('linux', {})).toMatch(/no display/);
    expect(displayProblem('linux', { DISPLAY: ':0' })).toBeNull();
    expect(displayProblem('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toBeNull();
    expect(displayProblem('darwin', {})).toBeNull();
    expect(displayProblem('win32', {})).toBeNull();
  });
});
