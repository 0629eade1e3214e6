// The http-proxy anchor: the usual way to write a Node reverse proxy (node-http-proxy with a
// keep-alive agent), run in a child process of its own like Switchyard's proxy.
// TARGET is the upstream origin; prints {"port": n} once listening on a free loopback port.

import http from 'node:http';
import httpProxy from 'http-proxy';

const target = process.env.TARGET;
if (!target) throw new Error('TARGET (the upstream origin) is required');

// Same upstream pool size as nginx's `keepalive 32`, so neither anchor opens more connections than the other.
const agent = new http.Agent({ keepAlive: true, maxSockets: 32, maxFreeSockets: 32 });
const proxy = httpProxy.createProxyServer({ target, agent });
proxy.on('error', (_error, _request, response) => {
  // A failed upstream is a 502, as from nginx; the benchmark counts it as a non-2xx.
  if (response instanceof http.ServerResponse && !response.headersSent) {
    response.writeHead(502, { 'content-length': '0' });
    response.end();
  }
});

const server = http.createServer((request, response) => proxy.web(request, response));
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
