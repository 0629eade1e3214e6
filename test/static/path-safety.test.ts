// Requests that try to read outside the site root or its hidden files, sent byte for byte to a real
// static-main.ts process. Each must be refused with the status listed, and no answer may ever
// contain the secret that lives outside the root.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, createFixtureSite, rawGet, startStaticProcess, type FixtureSite, type StaticProcess } from './static-fixture.ts';

let site: FixtureSite;
let server: StaticProcess;

beforeAll(async () => {
  site = createFixtureSite();
  server = await startStaticProcess({ SWITCHYARD_STATIC_ROOT: site.root, SWITCHYARD_STATIC_SPA: '1' });
});

afterAll(async () => {
  await server?.kill();
  site?.remove();
});

/** Target as sent on the wire, and the status it must get. */
const refused: [string, 400 | 404][] = [
  ['/../outside/passwd', 400],
  ['/assets/../../outside/passwd', 400],
  ['/..%2foutside%2fpasswd', 400],
  ['/..%2Foutside/passwd', 400],
  ['/%2e%2e/outside/passwd', 400],
  ['/%2E%2E/outside/passwd', 400],
  ['/%2e%2e%2foutside%2fpasswd', 400],
  ['/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd', 400],
  ['/.%2e/outside/passwd', 400],
  ['/..%5coutside%5cpasswd', 400],
  ['/..\\outside\\passwd', 400],
  ['/assets%2f..%2f..%2foutside%2fpasswd', 400],
  ['/./index.html', 400],
  ['/index.html%00', 400],
  ['/%00/../outside/passwd', 400],
  ['/plain.txt%00.png', 400],
  ['/%E0%A4%A', 400],
  ['/%zz', 400],
  ['/abc%', 400],
  ['/.env', 404],
  ['/%2eenv', 404],
  ['/.git/config', 404],
  ['/.git/', 404],
  ['/sub/.hidden', 404],
  ['/.well-known/.env', 404],
  ['/leak', 404],
  ['/leakdir/passwd', 404],
  ['/relative-leak.txt', 404],
  ['/env-link', 404],
];

describe('path traversal and hidden files', () => {
  it.each(refused)('refuses %s with %i and never leaks what is outside the root', async (target, status) => {
    const { status: got, answer } = await rawGet(server.port, target);
    expect(got).toBe(status);
    expect(answer).not.toContain(SECRET);
  });

  it('answers a request line with a NUL byte or a space with 400, without crashing', async () => {
    const nul = await rawGet(server.port, '/index.html\0');
    expect(nul.status).toBe(400);
    const spaced = await rawGet(server.port, '/a b');
    expect(spaced.status).toBe(400);
    expect((await rawGet(server.port, '/plain.txt')).status).toBe(200);
  });

  it('does not fall back to index.html for a refused path, even for a browser', async () => {
    const { answer } = await rawGet(server.port, '/.git/config');
    expect(answer).not.toContain('the index');
  });

  it('still serves .well-known, a legal file next to the refused ones, and a double slash inside the root', async () => {
    expect((await rawGet(server.port, '/.well-known/security.txt')).status).toBe(200);
    expect((await rawGet(server.port, '/sub/visible.txt')).status).toBe(200);
    expect((await rawGet(server.port, '//plain.txt')).status).toBe(200);
  });

  it('logs refused symlinks on stderr and is still running afterwards', async () => {
    expect(server.stderr()).toContain('outside the site root');
    expect(server.child.exitCode).toBeNull();
    expect((await rawGet(server.port, '/')).status).toBe(200);
  });
});
