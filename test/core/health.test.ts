import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { HealthSpec } from '../../shared/stack.ts';
import { HealthProbe, probeWorker, type ProbeResult } from '../../main/core/health/health-probe.ts';
import { quietPeriod, waitFor } from '../helpers/wait.ts';

const httpSpec: HealthSpec = { path: '/healthz', interval: 200, startInterval: 20, timeout: 400, healthyAfter: 1, unhealthyAfter: 2, restartAfter: 4 };
const tcpSpec: HealthSpec = { ...httpSpec, path: null };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

/** An HTTP server on one loopback address whose requests go to `handler`; closed after the test. */
async function httpServer(
  handler: http.RequestListener,
  listen: net.ListenOptions = { host: '127.0.0.1', port: 0 },
): Promise<{ port: number; requests: { at: number; url: string; host: string | undefined }[] }> {
  const requests: { at: number; url: string; host: string | undefined }[] = [];
  const server = http.createServer((request, response) => {
    requests.push({ at: Date.now(), url: request.url ?? '', host: request.socket.localAddress });
    handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(listen, resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as AddressInfo).port, requests };
}

/** A port nothing listens on: bound, then closed again. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('probeWorker over HTTP', () => {
  it('passes on 200 and reports which address answered', async () => {
    const { port, requests } = await httpServer((_req, res) => res.end('ok'));
    const result = await probeWorker(port, httpSpec);
    expect(result).toEqual({ ok: true, detail: 'GET /healthz → 200', host: '127.0.0.1' });
    expect(requests.map((r) => r.url)).toEqual(['/healthz']);
  });

  it('passes on any 2xx, such as 204', async () => {
    const { port } = await httpServer((_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    expect((await probeWorker(port, httpSpec)).ok).toBe(true);
  });

  it('fails on 500 and says so in the detail', async () => {
    const { port } = await httpServer((_req, res) => {
      res.statusCode = 500;
      res.end('boom');
    });
    const result = await probeWorker(port, httpSpec);
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('500');
    expect(result.detail).toContain('/healthz');
  });

  it('fails on a redirect: only 2xx passes', async () => {
    const { port } = await httpServer((_req, res) => {
      res.writeHead(302, { location: '/login' });
      res.end();
    });
    const result = await probeWorker(port, httpSpec);
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('302');
  });

  it('times out after the configured timeout on a server that accepts but never answers, and tries no other address', async () => {
    // Hung on both loopback addresses, one port: never responds.
    const v4 = await httpServer(() => {});
    const v6 = await httpServer(() => {}, { host: '::1', port: v4.port, ipv6Only: true });
    const began = Date.now();
    const result = await probeWorker(v4.port, { ...httpSpec, timeout: 300 });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/timed out after 300ms/);
    // Its own timer: it never gives up early.
    expect(Date.now() - began).toBeGreaterThanOrEqual(290);
    // A timeout is the answer: a second attempt on the other address would only double the wait.
    expect(v4.requests).toHaveLength(1);
    expect(v6.requests).toHaveLength(0);
  });

  it('times out on a socket that accepts and never speaks HTTP', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const result = await probeWorker((server.address() as AddressInfo).port, { ...httpSpec, timeout: 250 });
    expect(result.ok).toBe(false);
    expect(result.detail).toMatch(/timed out after 250ms/);
  });

  it('fails fast on a refused port, on both loopback addresses', async () => {
    const port = await refusedPort();
    // A timeout longer than the test's own: waiting for it instead of taking the refusal fails the test.
    const result = await probeWorker(port, { ...httpSpec, timeout: 120_000 });
    expect(result.ok).toBe(false);
    expect(result.host).toBeNull();
    expect(result.detail).toMatch(/ECONNREFUSED/);
  });

  it('finds a worker listening only on ::1 through the fallback', async () => {
    const { port, requests } = await httpServer((_req, res) => res.end('ok'), { host: '::1', port: 0, ipv6Only: true });
    const result = await probeWorker(port, httpSpec);
    expect(result.ok).toBe(true);
    expect(result.host).toBe('::1');
    expect(requests.map((r) => r.host)).toEqual(['::1']);
  });

  it('tries the preferred address first and falls back to 127.0.0.1 when it is refused', async () => {
    const v6 = await httpServer((_req, res) => res.end('ok'), { host: '::1', port: 0, ipv6Only: true });
    expect((await probeWorker(v6.port, httpSpec, '::1')).host).toBe('::1');
    const v4 = await httpServer((_req, res) => res.end('ok'));
    const result = await probeWorker(v4.port, httpSpec, '::1');
    expect(result).toMatchObject({ ok: true, host: '127.0.0.1' });
  });
  it('sends what a node:http client sent: the path, Host with the port, its user agent, Connection: close', async () => {
    const heads: http.IncomingHttpHeaders[] = [];
    const { port } = await httpServer((req, res) => {
      heads.push(req.headers);
      res.end('ok');
    });
    expect((await probeWorker(port, httpSpec)).ok).toBe(true);
    expect(heads).toEqual([{ 'user-agent': 'switchyard-health', connection: 'close', host: `127.0.0.1:${port}` }]);
  });

  it('skips an informational head (103 Early Hints) and judges the final status', async () => {
    const { port } = await httpServer((_req, res) => {
      res.writeEarlyHints({ link: '</app.css>; rel=preload; as=style' });
      res.statusCode = 503;
      res.end('starting');
    });
    expect(await probeWorker(port, httpSpec)).toMatchObject({ ok: false, detail: 'GET /healthz → 503' });
  });

  it('passes on the head of a response whose body is still coming', async () => {
    const { port } = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('streaming, never ends');
    });
    expect(await probeWorker(port, { ...httpSpec, timeout: 120_000 })).toEqual({ ok: true, detail: 'GET /healthz → 200', host: '127.0.0.1' });
  });

  it('fails on an answer that is not HTTP, and on a connection closed before any answer', async () => {
    // Each reads what it is sent, so it sees the probe close the connection.
    const server = net.createServer((socket) => socket.resume().end('SSH-2.0-OpenSSH\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const closer = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => closer.listen({ host: '127.0.0.1', port: 0 }, resolve));
    cleanups.push(async () => {
      await Promise.all([server, closer].map((each) => new Promise((resolve) => each.close(resolve))));
    });
    const notHttp = await probeWorker((server.address() as AddressInfo).port, { ...httpSpec, timeout: 120_000 });
    expect(notHttp).toMatchObject({ ok: false, detail: 'GET /healthz: not an HTTP response' });
    const closed = await probeWorker((closer.address() as AddressInfo).port, { ...httpSpec, timeout: 120_000 });
    expect(closed).toMatchObject({ ok: false, detail: 'GET /healthz: ECONNRESET' });
  });
});

describe('probeWorker over TCP', () => {
  it('passes when the port accepts a connection', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    const port = (server.address() as AddressInfo).port;
    const result = await probeWorker(port, tcpSpec);
    expect(result).toEqual({ ok: true, detail: `port ${port} accepts connections`, host: '127.0.0.1' });
    await waitFor(() => connections === 1, 'the probe connection to arrive');
  });

  it('passes on ::1 only, and fails on a refused port', async () => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen({ host: '::1', port: 0, ipv6Only: true }, resolve));
    cleanups.push(() => new Promise((resolve) => server.close(() => resolve())));
    expect(await probeWorker((server.address() as AddressInfo).port, tcpSpec)).toMatchObject({ ok: true, host: '::1' });
    const refused = await probeWorker(await refusedPort(), tcpSpec);
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(/ECONNREFUSED/);
  });
});

describe('HealthProbe', () => {
  it('probes fast until the first pass, then waits the configured interval', async () => {
    const failFirst = 4;
    const { port, requests } = await httpServer((_req, res) => {
      res.statusCode = requests.length <= failFirst ? 503 : 200;
      res.end();
    });
    // An interval longer than the test's own timeout: the checks before the pass come only at the boot pace.
    const results: ProbeResult[] = [];
    const probe = new HealthProbe(port, { ...httpSpec, interval: 120_000 }, (result) => results.push(result));
    cleanups.push(async () => probe.stop());
    probe.start();
    probe.start(); // A second start must not double the schedule.
    await waitFor(() => results.length === failFirst + 1, 'the first pass');
    expect(results.slice(0, failFirst).every((r) => !r.ok)).toBe(true);
    expect(results[failFirst]).toMatchObject({ ok: true, host: '127.0.0.1' });
    expect(probe.answeringHost).toBe('127.0.0.1');
    const gaps = requests.slice(1).map((r, i) => r.at - requests[i]!.at);
    for (const gap of gaps) expect(gap, `gaps between checks: ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(httpSpec.startInterval - 5);
    // Passed once: the next check waits for the interval, not the boot pace.
    await quietPeriod(httpSpec.startInterval * 10);
    expect(requests).toHaveLength(failFirst + 1);
  });

  it('probes every start_interval while the worker is starting, passes included, then every interval', async () => {
    const { port, requests } = await httpServer((_req, res) => res.end('ok'));
    const results: ProbeResult[] = [];
    // Starting until its third pass, as a worker with healthy_after: 3 is.
    const probe = new HealthProbe(port, { ...httpSpec, interval: 120_000 }, (result) => results.push(result), () => results.length < 3);
    cleanups.push(async () => probe.stop());
    probe.start();
    await waitFor(() => results.length === 3, 'three passes at the starting pace');
    expect(results.every((r) => r.ok)).toBe(true);
    await quietPeriod(httpSpec.startInterval * 10);
    expect(requests).toHaveLength(3);
  });

  it('after a reload signal, probes at the starting pace until a check begun after it passes', async () => {
    let answer = 200;
    const { port, requests } = await httpServer((_req, res) => {
      res.statusCode = answer;
      res.end();
    });
    const checks: { ok: boolean; number: number }[] = [];
    const probe = new HealthProbe(port, { ...httpSpec, interval: 120_000 }, (result, number) => checks.push({ ok: result.ok, number }));
    cleanups.push(async () => probe.stop());
    probe.start();
    await waitFor(() => checks.length === 1, 'the first pass');
    const before = probe.checksBegun;
    answer = 503;
    probe.hurry(60_000);
    expect(probe.hurried).toBe(true);
    await waitFor(() => checks.length >= 3, 'failing checks at the starting pace');
    answer = 200;
    await waitFor(() => checks.at(-1)?.ok, 'a pass after the signal');
    expect(probe.hurried).toBe(false);
    expect(checks.slice(1).every((check) => check.number > before)).toBe(true);
    const seen = requests.length;
    await quietPeriod(httpSpec.startInterval * 10);
    expect(requests).toHaveLength(seen);
  });

  it('probes on the beat of the configured interval once passing, and stops when told', async () => {
    const { port, requests } = await httpServer((_req, res) => res.end('ok'));
    const interval = 500;
    const results: ProbeResult[] = [];
    const probe = new HealthProbe(port, { ...httpSpec, interval }, (result) => results.push(result));
    cleanups.push(async () => probe.stop());
    probe.start();
    probe.start();
    await waitFor(() => requests.length >= 4, 'three checks after the first pass');
    probe.stop();
    // On the clock's multiples of the interval (every ready worker's check in one wake-up of the core):
    // never two within half an interval, and each soon after a beat, however late its timer fired.
    const gaps = requests.slice(1).map((r, i) => r.at - requests[i]!.at);
    for (const gap of gaps) expect(gap, `gaps between checks: ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(interval / 2);
    const afterBeat = requests.slice(1).map((r) => r.at % interval);
    for (const late of afterBeat) expect(late, `ms after a beat: ${afterBeat.join(', ')}`).toBeLessThan(interval / 2);
    expect(results.every((r) => r.ok)).toBe(true);

    const seen = requests.length;
    const reported = results.length;
    await quietPeriod(interval * 2);
    expect(requests.length).toBe(seen);
    expect(results.length).toBeLessThanOrEqual(reported);
  });

  it('reports nothing after stop, even for a check that was in flight', async () => {
    const held: (() => void)[] = [];
    const closed: Promise<void>[] = [];
    const { port, requests } = await httpServer((req, res) => {
      closed.push(new Promise((resolve) => req.socket.once('close', () => resolve())));
      held.push(() => res.end('ok'));
    });
    const results: ProbeResult[] = [];
    const probe = new HealthProbe(port, httpSpec, (result) => results.push(result));
    cleanups.push(async () => probe.stop());
    probe.start();
    await waitFor(() => requests.length === 1, 'the first check to arrive');
    probe.stop();
    held.splice(0).forEach((answer) => answer());
    // The probe closes its side once it has read the answer, so by then it has had its chance to report.
    await Promise.all(closed);
    expect(results).toEqual([]);
    expect(requests).toHaveLength(1);
  });

  it('keeps one schedule when restarted while a check is in flight', async () => {
    const { port, requests } = await httpServer((_req, res) => {
      setTimeout(() => res.end('ok'), 100);
    });
    const interval = 400;
    const probe = new HealthProbe(port, { ...httpSpec, interval }, () => {});
    cleanups.push(async () => probe.stop());
    probe.start();
    await waitFor(() => requests.length === 1, 'the first check to arrive');
    probe.stop();
    probe.start();
    await waitFor(() => requests.length >= 6, 'six checks');
    probe.stop();
    const gaps = requests.slice(3).map((r, i) => r.at - (requests[i + 2] as { at: number }).at);
    // One schedule on the interval's beat; two interleaved ones would put two checks on each beat.
    for (const gap of gaps) expect(gap, `gaps between checks: ${gaps.join(", ")} ms`).toBeGreaterThanOrEqual(interval / 2);
  });
});
