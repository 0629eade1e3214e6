import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import which from 'which';
import { mergePaths, resolveLoginShellPath } from '../../main/core/env/login-shell.ts';
import { isAlive, signalProcess } from '../../main/core/process/process-tree.ts';
import { waitFor } from '../helpers/wait.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'switchyard-login-shell-'));
let counter = 0;
/** Pids a fake shell reported, killed after each test in case the code under test left them. */
const reported: number[] = [];

afterEach(() => {
  for (const pid of reported.splice(0)) signalProcess(pid, 'SIGKILL');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh directory under the test's temp root. */
function tempDir(): string {
  const dir = path.join(root, `d${++counter}`);
  mkdirSync(dir);
  return dir;
}

/** An executable `#!/bin/sh` script standing in for a shell; it gets `-ilc SCRIPT` as $1 and $2. */
function fakeShell(body: string): string {
  const file = path.join(tempDir(), 'fake-shell');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A home directory holding the given startup files. */
function homeWith(files: Record<string, string>): string {
  const home = tempDir();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(home, name)), { recursive: true });
    writeFileSync(path.join(home, name), text);
  }
  return home;
}

/** This process's environment with a PATH entry only it has, to see inherited entries kept. */
function inheritedEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `/tmp/switchyard-inherited-only:${process.env.PATH}`, ...overrides };
}

function readPids(file: string): number[] {
  const pids = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  reported.push(...pids);
  return pids;
}

const bash = which.sync('bash', { nothrow: true });
const zsh = which.sync('zsh', { nothrow: true });
const fish = which.sync('fish', { nothrow: true });

describe('resolveLoginShellPath with real shells', () => {
  it('takes PATH from /bin/sh as a login shell, with what ~/.profile exports first', async () => {
    const home = homeWith({ '.profile': 'export PATH="/tmp/sy-sh-marker:$PATH"\n' });
    const result = await resolveLoginShellPath({ shell: '/bin/sh', env: inheritedEnv({ HOME: home }) });
    expect(result).toMatchObject({ source: 'login-shell', shell: '/bin/sh', problem: null });
    const entries = result.path.split(':');
    expect(entries[0]).toBe('/tmp/sy-sh-marker');
    expect(entries).toContain('/tmp/switchyard-inherited-only');
    expect(entries).toContain('/bin');
    expect(new Set(entries).size).toBe(entries.length);
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it.skipIf(!bash)('takes PATH from bash, reading ~/.bash_profile, whatever it prints around it', async () => {
    const home = homeWith({
      '.bash_profile': [
        "printf '\\033[1;32mWelcome!\\033[0m PATH=/bogus\\n'",
        'export PATH="/tmp/xyz-marker:$PATH"',
        'echo "motd: _SWITCHYARD_PATH_ lookalike" >&2',
        "trap 'echo goodbye from the rc' EXIT",
      ].join('\n'),
    });
    const result = await resolveLoginShellPath({ shell: bash!, env: inheritedEnv({ HOME: home }) });
    expect(result).toMatchObject({ source: 'login-shell', shell: bash, problem: null });
    expect(result.path.split(':')[0]).toBe('/tmp/xyz-marker');
    expect(result.path).not.toMatch(/bogus|Welcome|goodbye|\n/);
  });

  it.skipIf(!zsh)('takes PATH from zsh, reading ~/.zprofile', async () => {
    const home = homeWith({ '.zprofile': 'export PATH="/tmp/sy-zsh-marker:$PATH"\n' });
    const result = await resolveLoginShellPath({ shell: zsh!, env: inheritedEnv({ HOME: home, ZDOTDIR: home }) });
    expect(result).toMatchObject({ source: 'login-shell', problem: null });
    expect(result.path.split(':')[0]).toBe('/tmp/sy-zsh-marker');
  });

  it.skipIf(!fish)('takes PATH from fish, joined with colons', async () => {
    const home = homeWith({ '.config/fish/config.fish': 'set -gx PATH /tmp/sy-fish-marker $PATH\n' });
    const result = await resolveLoginShellPath({
      shell: fish!,
      env: inheritedEnv({ HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') }),
    });
    expect(result).toMatchObject({ source: 'login-shell', problem: null });
    const entries = result.path.split(':');
    expect(entries[0]).toBe('/tmp/sy-fish-marker');
    expect(entries).toContain('/bin');
  });
});

describe('resolveLoginShellPath with fake shells', () => {
  it('ignores what the shell prints before and after PATH, on stdout and stderr', async () => {
    const shell = fakeShell(
      [
        "printf '\\033[2J\\033[1mLast login: today\\033[0m\\n'",
        'echo "PATH=/bogus:/noise" >&2',
        'PATH="/tmp/sy-noise-marker:$PATH" /bin/sh -c "$2"',
        'echo "fortune: you will find your binaries"',
      ].join('\n'),
    );
    const result = await resolveLoginShellPath({ shell, env: inheritedEnv() });
    expect(result).toMatchObject({ source: 'login-shell', shell, problem: null });
    const entries = result.path.split(':');
    expect(entries[0]).toBe('/tmp/sy-noise-marker');
    expect(entries).not.toContain('/bogus');
    expect(result.path).not.toMatch(/fortune|login/);
  });

  it('runs the shell with -ilc, stdin closed, the oh-my-zsh guards set and ELECTRON_RUN_AS_NODE removed', async () => {
    const dump = path.join(tempDir(), 'env');
    // `cat` would wait for the timeout if stdin were a pipe left open.
    const shell = fakeShell(`echo "flags=$1" > '${dump}'; env >> '${dump}'; cat > /dev/null; exec /bin/sh -c "$2"`);
    const env = inheritedEnv({ ELECTRON_RUN_AS_NODE: '1', SY_PASSED_THROUGH: 'yes', DISABLE_AUTO_UPDATE: 'false' });
    // Only the environment given is passed on, not this process's own.
    process.env.SY_NOT_GIVEN = 'leaked';
    const result = await resolveLoginShellPath({ shell, timeoutMs: 3000, env }).finally(() => delete process.env.SY_NOT_GIVEN);
    expect(result.problem).toBeNull();
    const lines = readFileSync(dump, 'utf8').split('\n');
    expect(lines.filter((line) => line.startsWith('SY_NOT_GIVEN='))).toEqual([]);
    expect(lines).toContain('flags=-ilc');
    expect(lines).toEqual(
      expect.arrayContaining(['DISABLE_AUTO_UPDATE=true', 'ZSH_TMUX_AUTOSTARTED=true', 'ZSH_TMUX_AUTOSTART=false', 'SY_PASSED_THROUGH=yes']),
    );
    expect(lines.filter((line) => line.startsWith('ELECTRON_RUN_AS_NODE='))).toEqual([]);
  });

  // The first shell's background sleep lets go of stdout, so only a kill of the whole group ends
  // it; the second shell ignores SIGTERM, as interactive shells do, and its sleeps hold stdout.
  // The sleeps outlast the test's own timeout: only the kill lets the resolution come back in time.
  it.each([
    ['exits on SIGTERM', 'sleep 120 > /dev/null 2>&1 &', 'exec sleep 120'],
    ['ignores SIGTERM', "trap '' TERM HUP INT\nsleep 120 &", 'sleep 120'],
  ])('kills a shell that hangs (and %s) with everything it started, and falls back', async (_, background, foreground) => {
    const pidFile = path.join(tempDir(), 'pids');
    const shell = fakeShell(`${background}\necho "$$ $!" > '${pidFile}'\n${foreground}`);
    const result = await resolveLoginShellPath({ shell, timeoutMs: 300, env: inheritedEnv() });
    expect(result).toMatchObject({ source: 'inherited', shell, path: inheritedEnv().PATH });
    expect(result.problem).toContain(shell);
    expect(result.problem).toContain('longer than 0.3 s');
    expect(result.problem).toContain('start Switchyard from a terminal');
    expect(result.durationMs).toBeGreaterThanOrEqual(300);
    const [shellPid, grandchildPid] = readPids(pidFile);
    expect(isAlive(shellPid!), 'the shell').toBe(false);
    // An orphan closes its files a moment before it is a zombie, and its stdout closing is all we waited for.
    await waitFor(() => !isAlive(grandchildPid!), 'the background sleep to die');
  });

  it('names the rc file of a known shell kind when it hangs', async () => {
    const dir = tempDir();
    const shell = path.join(dir, 'zsh');
    writeFileSync(shell, '#!/bin/sh\nexec sleep 30\n');
    chmodSync(shell, 0o755);
    const result = await resolveLoginShellPath({ shell, timeoutMs: 200, env: inheritedEnv() });
    expect(result.problem).toMatch(/~\/\.zshrc/);
  });

  it('falls back when the shell does not exist', async () => {
    const shell = path.join(root, 'no-such-dir', 'zsh');
    const result = await resolveLoginShellPath({ shell, env: inheritedEnv() });
    expect(result).toMatchObject({ source: 'inherited', shell, path: inheritedEnv().PATH });
    expect(result.problem).toContain(`${shell} does not exist`);
    expect(result.problem).toContain('SHELL');
  });

  it('falls back when the shell exits with an error, quoting what it said', async () => {
    const shell = fakeShell("echo 'rc: line 3: syntax error near unexpected token' >&2\nexit 1");
    const result = await resolveLoginShellPath({ shell, env: inheritedEnv() });
    expect(result).toMatchObject({ source: 'inherited', shell, path: inheritedEnv().PATH });
    expect(result.problem).toContain(`${shell} exited with code 1`);
    expect(result.problem).toContain('syntax error near unexpected token');
  });

  it('falls back when the shell exits without printing PATH', async () => {
    const shell = fakeShell('echo "just a banner"\nexit 0');
    const result = await resolveLoginShellPath({ shell, env: inheritedEnv() });
    expect(result).toMatchObject({ source: 'inherited', shell, path: inheritedEnv().PATH });
    expect(result.problem).toContain(`${shell} exited without printing PATH`);
  });

  it('falls back when the shell reports an empty PATH', async () => {
    const shell = fakeShell('PATH= exec /bin/sh -c "$2"');
    const result = await resolveLoginShellPath({ shell, env: inheritedEnv() });
    expect(result).toMatchObject({ source: 'inherited', shell, path: inheritedEnv().PATH });
    expect(result.problem).toContain(`${shell} reported an empty PATH`);
  });

  it('asks $SHELL when no shell is given, and the platform default when SHELL is unset', async () => {
    const shell = fakeShell('exec /bin/sh -c "$2"');
    expect((await resolveLoginShellPath({ env: inheritedEnv({ SHELL: shell }) })).shell).toBe(shell);
    // An empty home, should a real default shell exist here and read its startup files.
    const withoutShell = inheritedEnv({ HOME: homeWith({}) });
    delete withoutShell.SHELL;
    expect((await resolveLoginShellPath({ env: withoutShell, platform: 'linux' })).shell).toBe('/bin/sh');
    expect((await resolveLoginShellPath({ env: withoutShell, platform: 'darwin', timeoutMs: 2000 })).shell).toBe('/bin/zsh');
  });

  it('takes a timeout execa cannot use (NaN, 0, negative) as the default, and rounds fractions', async () => {
    const shell = fakeShell('exec /bin/sh -c "$2"');
    for (const timeoutMs of [Number.NaN, 0, -5, 2500.4]) {
      expect(await resolveLoginShellPath({ shell, timeoutMs, env: inheritedEnv() }), String(timeoutMs)).toMatchObject({
        source: 'login-shell',
        problem: null,
      });
    }
  });

  it('runs nothing on Windows and keeps the inherited PATH', async () => {
    const ran = path.join(tempDir(), 'ran');
    const shell = fakeShell(`touch '${ran}'; exec /bin/sh -c "$2"`);
    const result = await resolveLoginShellPath({
      shell,
      platform: 'win32',
      env: { Path: 'C:\\Windows;C:\\Tools', SHELL: shell },
    });
    expect(result).toEqual({ path: 'C:\\Windows;C:\\Tools', source: 'inherited', shell: null, durationMs: 0, problem: null });
    expect(existsSync(ran)).toBe(false);
  });
});

describe('mergePaths', () => {
  it('puts login-shell entries first, then the inherited ones it lacks', () => {
    expect(mergePaths('/opt/homebrew/bin:/usr/bin', '/usr/bin:/app/bin:/bin', ':')).toBe('/opt/homebrew/bin:/usr/bin:/app/bin:/bin');
  });

  it('drops duplicates within and across both lists', () => {
    expect(mergePaths('/a:/b:/a', '/b:/c:/c:/a', ':')).toBe('/a:/b:/c');
  });

  it('drops empty entries', () => {
    expect(mergePaths(':/a::/b:', '::/c:', ':')).toBe('/a:/b:/c');
    expect(mergePaths('', '', ':')).toBe('');
  });

  it('splits on the delimiter given, and on the platform delimiter by default', () => {
    expect(mergePaths('C:\\Tools;C:\\Windows', 'C:\\Windows;;D:\\bin', ';')).toBe('C:\\Tools;C:\\Windows;D:\\bin');
    const d = path.delimiter;
    expect(mergePaths(`/x${d}/y`, `/y${d}/z`)).toBe(`/x${d}/y${d}/z`);
  });
});
