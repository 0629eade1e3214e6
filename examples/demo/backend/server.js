// The demo's backend: a small, dependency-free HTTP API shaped like a production worker.
// It shows what Switchyard gives each worker (its port and identity) and how a good worker behaves
// when it is health-checked, balanced, crashed, streamed from and stopped.
import http from 'node:http';
import { constants } from 'node:os';

const PORT = Number(process.env.PORT ?? 3000);
const APP = process.env.SWITCHYARD_APP ?? null;
const WORKER = process.env.SWITCHYARD_WORKER ? Number(process.env.SWITCHYARD_WORKER) : null;
const MAX_BODY = 1024 * 1024;

let shuttingDown = false;
const streams = new Set();

function json(res, status, body) {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}

function send(res, status, body, type = 'text/plain; charset=utf-8') {
  // While draining, tell keep-alive clients to reconnect elsewhere so the server can close.
  if (shuttingDown) res.setHeader('connection', 'close');
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function whoami(res) {
  json(res, 200, { app: APP, worker: WORKER, pid: process.pid, port: PORT, uptime: Math.round(process.uptime() * 10) / 10 });
}

function slow(req, res, url) {
  const raw = url.searchParams.get('ms') ?? '1000';
  const asked = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(asked)) return json(res, 400, { error: 'ms must be a number of milliseconds' });
  const ms = Math.min(60_000, Math.max(0, Math.round(asked)));
  const timer = setTimeout(() => json(res, 200, { waited: ms, worker: WORKER, pid: process.pid }), ms);
  res.on('close', () => clearTimeout(timer));
}

function crash(res) {
  json(res, 200, { crashing: true, worker: WORKER, pid: process.pid });
  // Answer first, so the caller sees which worker it brought down; then fail like a real crash.
  res.on('finish', () => {
    console.error('crash requested via /api/crash: exiting with code 1');
    setTimeout(() => process.exit(1), 50);
  });
}

function echo(req, res) {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) return tooLarge(req, res);
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) return tooLarge(req, res);
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    send(res, 200, Buffer.concat(chunks), req.headers['content-type'] ?? 'application/octet-stream');
  });
}

function tooLarge(req, res) {
  if (res.headersSent) return;
  // Closing the connection is the only way to stop a client that is still sending.
  res.setHeader('connection', 'close');
  json(res, 413, { error: `body larger than ${MAX_BODY} bytes` });
  req.pause();
}

function events(req, res) {
  if (shuttingDown) return json(res, 503, { error: 'worker is shutting down' });
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    // Any proxy in between (nginx, Switchyard) must pass each event on at once, not buffer it.
    'x-accel-buffering': 'no',
  });
  res.write(`retry: 2000\n: connected to worker ${WORKER} (pid ${process.pid})\n\n`);
  let count = 0;
  const tick = () => {
    count += 1;
    const data = JSON.stringify({ worker: WORKER, pid: process.pid, count, time: new Date().toISOString() });
    res.write(`id: ${count}\nevent: tick\ndata: ${data}\n\n`);
  };
  const timer = setInterval(tick, 1000);
  const stream = {
    end() {
      clearInterval(timer);
      res.end('event: bye\ndata: {"reason":"worker shutting down"}\n\n');
    },
  };
  streams.add(stream);
  res.on('close', () => {
    clearInterval(timer);
    streams.delete(stream);
  });
}

function route(req, res) {
  const url = new URL(req.url, 'http://localhost');
  const read = req.method === 'GET' || req.method === 'HEAD';
  const get = (handler) => (read ? handler() : methodNotAllowed(res, 'GET, HEAD'));
  switch (url.pathname) {
    case '/healthz':
      return get(() => send(res, shuttingDown ? 503 : 200, shuttingDown ? 'draining' : 'ok'));
    case '/api/whoami':
      return get(() => whoami(res));
    case '/api/greeting':
      return get(() => json(res, 200, { greeting: process.env.GREETING ?? null }));
    case '/api/slow':
      return get(() => slow(req, res, url));
    case '/api/crash':
      return get(() => crash(res));
    case '/api/events':
      return req.method === 'GET' ? events(req, res) : methodNotAllowed(res, 'GET');
    case '/api/echo':
      return req.method === 'POST' ? echo(req, res) : methodNotAllowed(res, 'POST');
    default:
      return json(res, 404, { error: 'not found', path: url.pathname });
  }
}

function methodNotAllowed(res, allow) {
  res.setHeader('allow', allow);
  json(res, 405, { error: `method not allowed; use ${allow}` });
}

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  res.on('close', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const status = res.writableFinished ? res.statusCode : `${res.statusCode} (client left)`;
    // Health checks arrive every second from every checker; logging them would drown the real traffic.
    if (req.url !== '/healthz') console.log(`${req.method} ${req.url} ${status} ${ms.toFixed(1)}ms`);
    if (shuttingDown) server.closeIdleConnections();
  });
  req.on('error', (err) => {
    // A client that hangs up is normal (SSE tabs close, curl gets Ctrl-C); anything else is worth a line.
    if (err.code !== 'ECONNRESET' && err.message !== 'aborted') console.error(`request error on ${req.method} ${req.url}: ${err.message}`);
  });
  try {
    route(req, res);
  } catch (err) {
    console.error(`error handling ${req.method} ${req.url}:`, err);
    if (!res.headersSent) json(res, 500, { error: 'internal error' });
    else res.destroy();
  }
});

// Idle keep-alive sockets close after 5s, so a reload never waits long on a silent client.
server.keepAliveTimeout = 5000;

server.on('clientError', (err, socket) => {
  if (err.code !== 'ECONNRESET') console.error(`bad request: ${err.message}`);
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  else socket.destroy();
});

// No host: listening on `::` with dual stack answers on both 127.0.0.1 and ::1.
server.listen(PORT, () => {
  const who = WORKER ? `${APP}-${WORKER}` : 'standalone';
  console.log(`${who} (pid ${process.pid}) listening on port ${server.address().port}`);
});

function shutdown(signal) {
  if (shuttingDown) {
    console.error(`second ${signal}: exiting now`);
    process.exit(128 + constants.signals[signal]);
  }
  shuttingDown = true;
  console.log(`${signal}: draining (${streams.size} event streams open), no new connections`);
  for (const stream of streams) stream.end();
  server.close(() => {
    console.log('drained: all requests finished, bye');
    process.exit(0);
  });
  server.closeIdleConnections();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
