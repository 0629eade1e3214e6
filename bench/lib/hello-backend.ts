// The proxy benchmark's upstream: a node:http server that answers every request with a 6-byte
// "hello", keep-alive on, no logging, so that what the variants differ by is only the hop in front.
// Run by a Stack (port in PORT) or alone (PORT unset or 0: any free port). Prints {"port": n} once listening.

import http from 'node:http';

const BODY = Buffer.from('hello\n');
const HEADERS = { 'content-type': 'text/plain', 'content-length': String(BODY.length) };

const server = http.createServer((request, response) => {
  request.resume();
  response.writeHead(200, HEADERS);
  response.end(BODY);
});
// Longer than any proxy's idle upstream timeout, so the backend is never the side that closes a
// pooled connection while a proxy is about to reuse it.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});

// Graceful like a production worker: finish what is in flight, then exit.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
