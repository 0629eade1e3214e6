// Which nginx the engine runs (PATH, then /usr/sbin), whether it is new enough, and what `check` and
// `up` say when it is not: the install command for the platform, exit 2, nothing started.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUpstreamFailure } from '../../main/core/proxy/nginx/nginx-error-log.ts';
import { compareVersions, findNginx, installCommand, MIN_NGINX_VERSION } from '../../main/core/proxy/nginx/nginx-binary.ts';
import { isAlive } from '../../main/core/process/process-tree.ts';
import { psJson, runCli, stackDir, startUp } from '../helpers/cli.ts';
import { commandLine } from '../helpers/processes.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A folder holding an `nginx` that reports `version` (and does nothing else). */
function fakeNginx(version: string): string {
  const dir = tempDir('switchyard-fake-nginx-');
  writeFileSync(path.join(dir, 'nginx'), `#!/bin/sh\necho "nginx version: nginx/${version}" >&2\n`, { mode: 0o755 });
  return dir;
}

async function nginxStack(engineLine: string): Promise<{ dir: string; port: number }> {
  const port = await getPort({ host: '127.0.0.1' });
  const { dir, cleanup } = stackDir(
    ['name: engines', 'proxy:', `  listen: 127.0.0.1:${port}`, engineLine, '  routes:', '    - { path: /, to: web }', 'static:', '  web: { root: . }', ''].filter(Boolean).join('\n'),
  );
  cleanups.push(cleanup);
  return { dir, port };
}

describe('finding nginx', () => {
  it('says nginx is missing, with the install command, when neither PATH nor the sbin folders have it', async () => {
    const empty = tempDir('switchyard-no-nginx-');
    const found = await findNginx({ PATH: empty }, []);
    expect(found).toEqual({ ok: false, problem: expect.stringMatching(/^nginx is not installed .*install it with `sudo (apt-get|dnf) install nginx`, or use `engine: builtin`$/) });
  });

  it('takes the first nginx on PATH and refuses one older than the generated configuration needs', async () => {
    const found = await findNginx({ PATH: fakeNginx('1.14.2') }, []);
    expect(found.ok).toBe(false);
    expect(!found.ok && found.problem).toMatch(new RegExp(`is nginx 1\\.14\\.2; the nginx engine needs ${MIN_NGINX_VERSION.replace(/\./g, '\\.')} or newer`));
  });

  it.runIf(existsSync('/usr/sbin/nginx'))('finds the system nginx in /usr/sbin when PATH lacks it', async () => {
    const found = await findNginx({ PATH: tempDir('switchyard-no-nginx-') });
    expect(found).toMatchObject({ ok: true, nginx: { path: '/usr/sbin/nginx' } });
  });

  it('compares versions number by number and names each platform\'s package manager', () => {
    expect(compareVersions('1.22.1', '1.19.5')).toBeGreaterThan(0);
    expect(compareVersions('1.9.15', '1.19.5')).toBeLessThan(0);
    expect(compareVersions('1.19.5', '1.19.5')).toBe(0);
    expect(installCommand('linux', 'ID=debian\n')).toBe('sudo apt-get install nginx');
    expect(installCommand('linux', 'ID=ubuntu\nID_LIKE=debian\n')).toBe('sudo apt-get install nginx');
    expect(installCommand('linux', 'ID="rocky"\nID_LIKE="rhel centos fedora"\n')).toBe('sudo dnf install nginx');
    expect(installCommand('darwin', '')).toBe('brew install nginx');
    expect(installCommand('win32', '')).toMatch(/choco install nginx.*winget/);
  });
});

describe('check and up with the nginx engine', () => {
  it('check and up exit 2 naming the install command when the nginx found is too old, and up starts nothing', async () => {
    const { dir } = await nginxStack('  engine: nginx');
    const env = { PATH: fakeNginx('1.10.3') };
    for (const command of ['check', 'up']) {
      const result = await runCli([command], dir, env);
      expect(result.exitCode, command).toBe(2);
      expect(result.stderr, command).toMatch(/the proxy runs on nginx, but .*is nginx 1\.10\.3; .*upgrade it with `(sudo|brew|choco)/);
    }
    expect(existsSync(path.join(dir, '.switchyard', 'run.json'))).toBe(false);
    expect(existsSync(path.join(dir, '.switchyard', 'nginx'))).toBe(false);
  });

  it('up --engine nginx overrides a stack file that says builtin', async () => {
    const { dir } = await nginxStack('');
    const result = await runCli(['up', '--engine', 'nginx'], dir, { PATH: fakeNginx('1.2.0') });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/is nginx 1\.2\.0/);
    expect((await runCli(['check', '--engine', 'apache'], dir)).stderr).toMatch(/--engine takes builtin or nginx, got 'apache'/);
  });

  it.runIf(existsSync('/usr/sbin/nginx'))('check prints the engine in its plan', async () => {
    const { dir, port } = await nginxStack('  engine: nginx');
    const result = await runCli(['check'], dir);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Proxy http://127\\.0\\.0\\.1:${port}  engine nginx \\d+\\.\\d+\\.\\d+ \\(/.*nginx\\)$`, 'm'));
  });

  it.runIf(existsSync('/usr/sbin/nginx'))('up --engine nginx serves the stack through nginx, and down leaves no nginx process', async () => {
    const { dir, port } = await nginxStack('');
    writeFileSync(path.join(dir, 'index.html'), '<h1>served by nginx</h1>');
    const up = startUp(dir, ['--engine', 'nginx']);
    cleanups.push(() => void up.child.kill('SIGKILL'));
    await up.waitForOutput(/all \d+ ready/);
    expect(up.output()).toMatch(/proxy +http:\/\/127\.0\.0\.1:\d+ +\(1 route, nginx \d+\.\d+\.\d+\)/);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('served by nginx');
    const proxy = (await psJson(dir)).find((p) => p.name === 'proxy');
    expect(proxy?.pid).toEqual(expect.any(Number));
    expect(commandLine(proxy?.pid as number)).toMatch(/^nginx: master process/);
    expect((await runCli(['down'], dir)).exitCode).toBe(0);
    await up.child;
    expect(isAlive(proxy?.pid as number)).toBe(false);
  });

  it('names the line and column of an engine that does not exist', async () => {
    const { dir } = await nginxStack('  engine: apache');
    const result = await runCli(['check'], dir);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/switchyard\.yaml:4:11: error: engine must be one of builtin, nginx/);
  });
});

describe("nginx's error log", () => {
  it('finds failed connections to upstream servers, and nothing else', () => {
    const refused =
      '2026/12/07 01:00:00 [error] 41#41: *7 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: , request: "GET /api/x HTTP/1.1", upstream: "http://127.0.0.1:4123/api/x", host: "127.0.0.1:8080"';
    expect(parseUpstreamFailure(refused)).toEqual({ address: '127.0.0.1:4123', reason: 'connect() failed (111: Connection refused)' });
    const closed = '2026/12/07 01:00:00 [error] 41#41: *9 upstream prematurely closed connection while reading response header from upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:4124/", host: "x"';
    expect(parseUpstreamFailure(closed)).toEqual({ address: '127.0.0.1:4124', reason: 'upstream prematurely closed connection' });
    const slow = '2026/12/07 01:00:00 [error] 41#41: *9 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 127.0.0.1, server: , request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:4124/", host: "x"';
    expect(parseUpstreamFailure(slow)).toBeNull();
    expect(parseUpstreamFailure('2026/12/07 01:00:00 [notice] 40#40: signal process started')).toBeNull();
  });
});
