import { describe, expect, it } from 'vitest';
import { forwardedTarget, hostOf, RouteTable } from '../../main/core/proxy/builtin/route-table.ts';
import { hashIp, pickIpHash, pickLeastConn, pickRoundRobin } from '../../main/core/proxy/builtin/balancer.ts';
import { configProblems } from '../../main/core/proxy/builtin/config-check.ts';
import { isSaneRequestId, readRequestHead, responseHeaders } from '../../main/core/proxy/builtin/forward-headers.ts';
import { app, config, member, route } from './helpers.ts';

function labelOf(table: RouteTable, host: string | undefined, target: string): string | null {
  return table.match(host, target)?.label ?? null;
}

describe('RouteTable', () => {
  const table = new RouteTable([
    route('/', 'web'),
    route('/api/', 'api'),
    route('/api/admin/', 'admin'),
    route('/docs', 'docs'),
    route('/', 'admin', { host: 'Admin.Localhost' }),
    route('/api/', 'api-host', { host: 'admin.localhost' }),
  ]);

  it('picks the longest matching prefix', () => {
    expect(labelOf(table, 'localhost', '/api/users')).toBe('/api/');
    expect(labelOf(table, 'localhost', '/api/admin/x')).toBe('/api/admin/');
    expect(labelOf(table, 'localhost', '/other')).toBe('/');
    expect(labelOf(table, undefined, '/api/x?q=/api/admin/')).toBe('/api/');
  });

  it('treats /api as a request for the /api/ route, with or without a query', () => {
    expect(labelOf(table, 'localhost', '/api')).toBe('/api/');
    expect(labelOf(table, 'localhost', '/api?x=1')).toBe('/api/');
    // A longer path that only starts like the bare prefix is not that route.
    expect(labelOf(table, 'localhost', '/apix')).toBe('/');
  });

  it('matches a prefix without a trailing slash as nginx does: as plain text', () => {
    expect(labelOf(table, 'localhost', '/docs')).toBe('/docs');
    expect(labelOf(table, 'localhost', '/docs/intro')).toBe('/docs');
    expect(labelOf(table, 'localhost', '/docsearch')).toBe('/docs');
  });

  it('prefers an explicit route over the bare form of a longer one', () => {
    const withBoth = new RouteTable([route('/api', 'exact'), route('/api/', 'slash')]);
    expect(withBoth.match(undefined, '/api')?.spec.to).toBe('exact');
    expect(withBoth.match(undefined, '/api/x')?.spec.to).toBe('slash');
  });

  it('matches hosts exactly, case-insensitively, without the port, and lets host routes win ties', () => {
    expect(labelOf(table, 'admin.localhost:8080', '/x')).toBe('admin.localhost/');
    expect(labelOf(table, 'ADMIN.localhost', '/api/x')).toBe('admin.localhost/api/');
    expect(labelOf(table, 'admin.localhost', '/api/admin/x')).toBe('/api/admin/');
    expect(labelOf(table, 'sub.admin.localhost', '/x')).toBe('/');
    expect(labelOf(table, undefined, '/x')).toBe('/');
  });

  it('returns null when nothing matches', () => {
    const apiOnly = new RouteTable([route('/api/', 'api')]);
    expect(apiOnly.match('localhost', '/')).toBeNull();
    expect(apiOnly.match('localhost', '/ap')).toBeNull();
  });

  it('reads hosts from Host headers, IPv6 included', () => {
    expect(hostOf('Example.COM:443')).toBe('example.com');
    expect(hostOf('[::1]:8080')).toBe('[::1]');
    expect(hostOf('[::1]')).toBe('[::1]');
    expect(hostOf('localhost')).toBe('localhost');
  });
});

describe('forwardedTarget', () => {
  const strip = (path: string, target: string) => forwardedTarget(new RouteTable([route(path, 'x', { stripPrefix: true })]).match(undefined, target)!, target);

  it('keeps the path as sent without strip_prefix', () => {
    const table = new RouteTable([route('/api/', 'api')]);
    expect(forwardedTarget(table.match(undefined, '/api/a?b=1')!, '/api/a?b=1')).toBe('/api/a?b=1');
  });

  it('strips the prefix and keeps a leading slash', () => {
    expect(strip('/api/', '/api/users?id=1')).toBe('/users?id=1');
    expect(strip('/api/', '/api/')).toBe('/');
    expect(strip('/api/', '/api')).toBe('/');
    expect(strip('/api/', '/api?x=1')).toBe('/?x=1');
    expect(strip('/api', '/apiary')).toBe('/ary');
    expect(strip('/', '/a/b')).toBe('/a/b');
  });

  it('joins a URL target path with what remains', () => {
    const table = new RouteTable([
      route('/ext/', 'http://127.0.0.1:9000/base/', { target: 'url', stripPrefix: true }),
      route('/raw/', 'http://127.0.0.1:9000', { target: 'url' }),
    ]);
    expect(forwardedTarget(table.match(undefined, '/ext/a?b')!, '/ext/a?b')).toBe('/base/a?b');
    expect(forwardedTarget(table.match(undefined, '/raw/a')!, '/raw/a')).toBe('/raw/a');
    expect(table.match(undefined, '/ext/a')!.url).toMatchObject({ origin: 'http://127.0.0.1:9000', hostHeader: '127.0.0.1:9000' });
  });
});

describe('balancing strategies', () => {
  const names = ['api-1', 'api-2', 'api-3', 'api-4'];
  const everyone = () => true;

  it('round-robin starts at the cursor and skips members that cannot take requests', () => {
    const members = names.map((name) => ({ name, inFlight: 0 }));
    expect(pickRoundRobin(members, 0, everyone)).toBe(0);
    expect(pickRoundRobin(members, 5, everyone)).toBe(1);
    expect(pickRoundRobin(members, 1, (m) => m.name !== 'api-2')).toBe(2);
    expect(pickRoundRobin(members, 0, () => false)).toBe(-1);
  });

  it('least-conn takes the fewest in flight, ties from the cursor on', () => {
    const members = [3, 1, 2, 1].map((inFlight, i) => ({ name: names[i]!, inFlight }));
    expect(pickLeastConn(members, 0, everyone)).toBe(1);
    expect(pickLeastConn(members, 2, everyone)).toBe(3);
    expect(pickLeastConn(members, 0, (m) => m.name !== 'api-2' && m.name !== 'api-4')).toBe(2);
  });

  it('ip-hash keeps every other client where it was when one worker cannot take requests', () => {
    const members = names.map((name) => ({ name, inFlight: 0 }));
    const ips = Array.from({ length: 200 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const before = new Map(ips.map((ip) => [ip, pickIpHash(members, ip, everyone)]));
    // Every worker gets some clients.
    expect(new Set(before.values()).size).toBe(4);
    const withoutTwo = (m: { name: string }) => m.name !== 'api-2';
    for (const ip of ips) {
      const was = before.get(ip)!;
      const now = pickIpHash(members, ip, withoutTwo);
      if (was === 1) expect(now).toBe(2);
      else expect(now).toBe(was);
    }
  });

  it('ip-hash is stable: the same address always hashes alike', () => {
    expect(hashIp('127.0.0.1')).toBe(hashIp('127.0.0.1'));
    expect(hashIp('127.0.0.1')).not.toBe(hashIp('127.0.0.2'));
  });
});

describe('configProblems', () => {
  const good = config([route('/api/', 'api'), route('/x/', 'http://127.0.0.1:9/', { target: 'url' })], [app('api', [member('api-1', 4000)])]);

  it('accepts a sound configuration', () => {
    expect(configProblems(good)).toEqual([]);
  });

  it('names every problem at once', () => {
    const bad = config(
      [route('api/', 'api'), route('/b/', 'nope'), route('/c/', 'ftp://x', { target: 'url' }), route('/d/', 'api', { timeout: 0 })],
      [app('api', [member('api-1', 70000)])],
    );
    const problems = configProblems(bad);
    expect(problems).toEqual([
      expect.stringContaining("member 'api-1@70000' has port 70000"),
      'route 1 (api/): path must start with /',
      "route 2 (/b/): 'nope' names no upstream (known: api)",
      "route 3 (/c/): 'ftp://x' is not an http:// or https:// URL",
      'route 4 (/d/): timeout must be a positive number of milliseconds',
    ]);
  });
});

describe('header helpers', () => {
  it('reads what it needs from raw request headers in one pass', () => {
    const head = readRequestHead(['Host', 'a.test', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Accept', '*/*', 'Content-Length', '3']);
    expect(head.host).toBe('a.test');
    expect(head.forward).toEqual(['Accept', '*/*', 'Content-Length', '3']);
    expect(head.hasBody).toBe(true);
  });

  it('drops hop-by-hop response headers and adds the request id once', () => {
    const raw = ['Connection', 'X-Hop', 'X-Hop', '1', 'Transfer-Encoding', 'chunked', 'Content-Type', 'text/plain'].map((text) => Buffer.from(text));
    expect(responseHeaders(raw, 'id-1', false)).toEqual(['Content-Type', 'text/plain', 'x-request-id', 'id-1']);
    const echoed = ['X-Request-Id', 'theirs'].map((text) => Buffer.from(text));
    expect(responseHeaders(echoed, 'id-1', true)).toEqual(['X-Request-Id', 'theirs', 'connection', 'close']);
  });

  it('keeps only short printable request ids', () => {
    expect(isSaneRequestId('abc-123_XYZ.:/')).toBe(true);
    expect(isSaneRequestId('x'.repeat(200))).toBe(true);
    expect(isSaneRequestId('x'.repeat(201))).toBe(false);
    expect(isSaneRequestId('has space')).toBe(false);
    expect(isSaneRequestId('')).toBe(false);
  });
});
