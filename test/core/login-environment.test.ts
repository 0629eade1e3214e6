// The environment the desktop app hands its stacks and editors: the login shell's PATH, asked for
// once, in a copy of this process's environment, which itself is left as it was.

import { describe, expect, it } from 'vitest';
import type { PathResolution } from '../../main/core/env/login-shell.ts';
import { LoginEnvironment } from '../../main/core/host/login-environment.ts';

describe('LoginEnvironment', () => {
  it('asks once, logs once, and builds environments without touching its own', async () => {
    let asked = 0;
    const logs: string[] = [];
    const resolution: PathResolution = { path: '/opt/login/bin:/usr/bin', source: 'login-shell', shell: '/bin/zsh', durationMs: 12, problem: null };
    const environment = new LoginEnvironment(async () => {
      asked++;
      return resolution;
    }, (line) => logs.push(line));
    const own = process.env.PATH;
    const [first, second] = await Promise.all([environment.env(), environment.env()]);
    expect(first.PATH).toBe('/opt/login/bin:/usr/bin');
    expect(second).toEqual(first);
    expect(first).not.toBe(process.env);
    expect(await environment.path()).toBe(resolution);
    expect(asked).toBe(1);
    expect(logs).toEqual(['PATH from /bin/zsh in 12 ms']);
    expect(process.env.PATH).toBe(own);
  });

  it('says why the login shell\'s PATH is not used', async () => {
    const logs: string[] = [];
    const environment = new LoginEnvironment(async () => ({ path: '/usr/bin', source: 'inherited', shell: '/bin/zsh', durationMs: 5000, problem: '/bin/zsh took too long' }), (line) => logs.push(line));
    expect((await environment.env()).PATH).toBe('/usr/bin');
    expect(logs).toEqual(['PATH: /bin/zsh took too long']);
  });
});
