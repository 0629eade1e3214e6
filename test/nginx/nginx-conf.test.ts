// The generated nginx.conf as text: deterministic, accepted by `nginx -t` in both modes for a
// configuration using every feature, and the access log parser on the lines it describes.

import { describe, expect, it } from 'vitest';
import type { ProxyConfig } from '../../shared/proxy.ts';
import { parseAccessLine, renderNginxConf, type NginxTarget } from '../../main/core/proxy/nginx/nginx-conf.ts';
import { app, cleanUpAfterEach, config, member, route } from '../proxy/helpers.ts';
import { checkConf, hasNginx, tempPrefix } from './nginx-helpers.ts';

cleanUpAfterEach();

/** Every feature at once: hosts, bare paths, stripping, URL targets, each balance, static sites, a down upstream. */
function everything(): ProxyConfig {
  return {
    ...config(
      [
        route('/', 'web', { target: 'static' }),
        route('/api/', 'api', { stripPrefix: true, timeout: 250 }),
        route('/api', 'legacy', { host: 'admin.test' }),
        route('/', 'admin', { host: 'admin.test', timeout: 90_000 }),
        route('/app/', 'spa', { target: 'static', stripPrefix: true, host: 'Spa.Test' }),
        route('/ext/', 'https://localhost:8443/base/', { target: 'url', stripPrefix: true }),
        route('/plain', 'http://127.0.0.1:9000', { target: 'url' }),
        route('/sticky/', 'sticky'),
        route('/none/', 'none'),
        route('/clash/', 'url_0'),
        route('/$odd "path"/', 'api'),
      ],
      [
        app('api', [member('api-1', 41001), member('api-2', 41002, 'draining')], 'least-conn'),
        app('legacy', [member('legacy-1', 41003)]),
        app('admin', [member('admin-1', 41004)]),
        app('sticky', [member('sticky-1', 41005), member('sticky-2', 0, 'down'), member('sticky-3', 41006)], 'ip-hash'),
        app('none', [member('none-1', 0, 'down')]),
        // Its block, sy_url_0, must not collide with the first URL origin's, sy-url-0.
        app('url_0', [member('url_0-1', 41008)]),
        { name: 'web', kind: 'static', balance: 'round-robin', members: [member('web', 41007)], site: { root: '/srv/web', spa: false } },
        { name: 'spa', kind: 'static', balance: 'round-robin', members: [], site: { root: '/srv/spa/', spa: true } },
      ],
      { clientHeaderTimeout: 5000, clientBodyTimeout: 1500, keepaliveTimeout: 30_000, maxConnections: 200 },
    ),
    id: 'Feat-1',
  };
}

function engine(prefix: string): NginxTarget {
  return {
    mode: 'engine',
    listen: { host: '127.0.0.1', port: 18099 },
    prefix,
    servers: (upstream) => upstream.members.map((m) => ({ host: m.host, port: m.port, down: m.state !== 'ready' })),
    siteRoot: (_site, files) => files.root,
  };
}

function exportTarget(): NginxTarget {
  return {
    mode: 'export',
    listen: { host: '0.0.0.0', port: 80 },
    servers: (upstream) => [{ host: '127.0.0.1', port: 8000 + upstream.name.length }],
    siteRoot: (site) => `/srv/switchyard/${site}`,
  };
}

describe('renderNginxConf', () => {
  it('renders the same bytes for the same input, whatever the order of the upstreams', () => {
    const first = renderNginxConf(everything(), engine('/tmp/prefix'));
    expect(renderNginxConf(everything(), engine('/tmp/prefix'))).toBe(first);
    const shuffled = everything();
    shuffled.upstreams = Object.fromEntries(Object.entries(shuffled.upstreams).reverse());
    expect(renderNginxConf(shuffled, engine('/tmp/prefix'))).toBe(first);
    expect(renderNginxConf(everything(), exportTarget())).toBe(renderNginxConf(everything(), exportTarget()));
  });

  it('writes the engine directives, the upstream rules and the routes', () => {
    const conf = renderNginxConf(everything(), { ...engine('/run/sy/'), user: 'root' });
    for (const line of [
      'daemon off;',
      'master_process on;',
      'worker_processes 1;',
      'user root;',
      'pid "/run/sy/nginx.pid";',
      'error_log stderr warn;',
      'access_log "/dev/stdout" sy_access buffer=4k flush=100ms;',
      'client_body_temp_path "/run/sy/client_body_temp";',
      'listen 127.0.0.1:18099 default_server;',
      'server_name spa.test;',
      'worker_connections 528;',
      'client_header_timeout 5s;',
      'client_body_timeout 1500ms;',
      'keepalive_timeout 30s;',
      'least_conn;',
      'hash $remote_addr consistent;',
      'server 127.0.0.1:41001 max_fails=1 fail_timeout=2s;',
      'server 127.0.0.1:41002 down;',
      'keepalive 64;',
      'proxy_next_upstream error;',
      'proxy_buffering off;',
      'location = "/api" {',
      'rewrite "^/api/?+(.*)$" "/$1" break;',
      'proxy_read_timeout 250ms;',
      'proxy_pass https://sy-url-1;',
      'proxy_ssl_name "localhost";',
      'rewrite "^/ext/?+(.*)$" "/base/$1" break;',
      'location ^~ "/${sy_dollar}odd \\"path\\"/" {',
      'return 503 "503 Service Unavailable: no ready worker for none: none-1 down\\n";',
      'alias "/srv/spa/";',
      'root "/srv/web";',
    ]) {
      expect(conf).toContain(line);
    }
    // A member without a port cannot be written; an upstream without a live server is not written at all.
    expect(conf).not.toContain(':0 ');
    expect(conf).not.toContain('upstream sy_none');
    // The host server's `/api` prefix beats the host-less `/api/`'s whole-path match, so no `= /api` there.
    const admin = conf.slice(conf.indexOf('server_name admin.test;'));
    expect(admin.slice(0, admin.indexOf('server_name', 30))).not.toContain('location = "/api"');
    const asked = renderNginxConf(everything(), { ...engine('/run/sy'), workers: 'auto', accessLog: '/run/sy/access.fifo' });
    expect(asked).toContain('worker_processes auto;');
    expect(asked).toContain('access_log "/run/sy/access.fifo" sy_access buffer=4k flush=100ms;');
    // The engine's lines are tab-separated values (nginx reads `\t` in a quoted string as a tab).
    expect(conf).toContain("log_format sy_access escape=json '$msec\\t$request_time\\t$request_method\\t$request_uri\\t$status\\t");
  });

  it('writes export paths and the listen address of the target', () => {
    const conf = renderNginxConf(everything(), exportTarget());
    expect(conf).toContain('worker_processes auto;');
    expect(conf).toContain('access_log /var/log/nginx/access.log sy_access;');
    expect(conf).toContain(`log_format sy_access escape=json '{"msec":$msec,"request_time":$request_time,"method":"$request_method","uri":"$request_uri","status":$status,`);
    expect(conf).toContain('listen 0.0.0.0:80 default_server;');
    expect(conf).toContain('root "/srv/switchyard/web";');
    expect(conf).not.toContain('daemon');
    expect(conf).not.toContain('_temp_path');
  });
});

describe.skipIf(!hasNginx)('nginx -t on the generated configuration (skipped without /usr/sbin/nginx)', () => {
  it('accepts the engine configuration of every feature', () => {
    const prefix = tempPrefix();
    const check = checkConf(renderNginxConf(everything(), engine(prefix)), prefix);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });

  it('accepts the export configuration, with only the paths a test cannot write moved into a temp folder', () => {
    const prefix = tempPrefix();
    // /var/log/nginx and /run belong to the system's nginx; everything else is checked as written.
    const conf = renderNginxConf(everything(), exportTarget()).replaceAll('/var/log/nginx/', `${prefix}/`).replace('/run/nginx.pid', `${prefix}/nginx.pid`);
    const check = checkConf(conf, prefix);
    expect(check.output).toBe('');
    expect(check.ok).toBe(true);
  });

  it('refuses a broken file with nginx’s own message', () => {
    const prefix = tempPrefix();
    const check = checkConf(renderNginxConf(everything(), engine(prefix)).replace('proxy_buffering off;', 'proxy_buffering maybe;'), prefix);
    expect(check.ok).toBe(false);
    expect(check.output).toContain('invalid value "maybe"');
  });
});

describe('parseAccessLine', () => {
  const memberAt = (address: string) => (address === '127.0.0.1:41002' ? { worker: 'api-2', member: 'api-2@41002' } : null);
  // The engine's line: the values in the format's order, tab-separated, as latin1 text of its bytes.
  const line = (fields: Record<string, unknown>) =>
    Object.values({
      msec: 1700000000.5,
      request_time: 0.25,
      method: 'GET',
      uri: '/api/x?y=1',
      status: 200,
      bytes: 12,
      route: '/api/',
      worker: '',
      upstream: '127.0.0.1:41001, 127.0.0.1:41002',
      connect: '-, 0.001',
      header: '-, 0.002',
      request_id: 'abc',
      error: '',
      timeout: '10s',
      completion: 'OK',
      ...fields,
    }).join('\t');

  it('reads times, the member from the last address tried and the number of attempts', () => {
    expect(parseAccessLine(line({}), memberAt)).toEqual({
      time: 1700000000250,
      method: 'GET',
      path: '/api/x?y=1',
      status: 200,
      bytes: 12,
      duration: 250,
      route: '/api/',
      worker: 'api-2',
      member: 'api-2@41002',
      requestId: 'abc',
      error: null,
      attempts: 2,
    });
  });

  it('names the errors nginx answered itself as the builtin does', () => {
    expect(parseAccessLine(line({ status: 499, upstream: '', connect: '', header: '' }), memberAt)).toMatchObject({ status: 0, error: 'client aborted', attempts: 0 });
    expect(parseAccessLine(line({ status: 504, upstream: '127.0.0.1:41002', connect: '0.001', header: '-' }), memberAt)).toMatchObject({ error: 'no response within 10s' });
    expect(parseAccessLine(line({ status: 502, upstream: 'sy_api', connect: '', header: '' }), memberAt)).toMatchObject({ attempts: 0, worker: null });
    expect(parseAccessLine(line({ status: 200, completion: '' }), memberAt)?.error).toContain('cut short');
    expect(parseAccessLine(line({ route: '', worker: 'web', upstream: '' }), memberAt)).toMatchObject({ route: null, worker: 'web', member: null, attempts: 0 });
  });

  it("decodes the values nginx escaped (escape=json) and the client's UTF-8", () => {
    const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const uri = bytes('/café/\\"q\\"\\\\\\t\\u001f?x=€');
    expect(parseAccessLine(line({ uri, route: bytes('/café/'), request_id: 'a\\"b' }), memberAt)).toMatchObject({ path: '/café/"q"\\\t\u001f?x=€', route: '/café/', requestId: 'a"b' });
    expect(parseAccessLine(line({ uri: '/b\xff\xfe' }), memberAt)?.path).toBe('/b\ufffd\ufffd');
  });

  it('ignores lines that are not access events', () => {
    expect(parseAccessLine('', memberAt)).toBeNull();
    expect(parseAccessLine('2026/01/01 [warn] something', memberAt)).toBeNull();
    expect(parseAccessLine('{"foo":1}', memberAt)).toBeNull();
    expect(parseAccessLine(line({ status: 'x' }), memberAt)).toBeNull();
    expect(parseAccessLine(line({}).slice(0, line({}).lastIndexOf('\t')), memberAt)).toBeNull();
    expect(parseAccessLine(`${line({})}\textra`, memberAt)).toBeNull();
  });
});
