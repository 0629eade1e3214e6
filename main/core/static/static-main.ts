// Entry of the server process Switchyard starts for each static site, as
// `node main/core/static/static-main.ts` with its settings in the environment. One process per site
// keeps a slow disk or a huge download on one site from stalling the core or the other sites.

import { statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createStaticHandler } from './static-handler.ts';

/** Idle keep-alive connections are closed after this, as nginx's keepalive_timeout would. */
const KEEP_ALIVE_MS = 5000;
/** On SIGTERM, in-flight responses get this long to finish before their connections are cut. */
const DRAIN_MS = 10_000;
/** While draining, connections that went idle are closed this often. */
const IDLE_SWEEP_MS = 50;
/** Exit code for a missing or invalid setting: the supervisor shows stderr, restarting will not help. */
const EXIT_BAD_CONFIG = 2;

interface StaticServerConfig {
  port: number;
  host: string;
  root: string;
  spa: boolean;
}

/** The settings from `env`, or a one-line explanation of the first one that is wrong. */
function readConfig(env: NodeJS.ProcessEnv): StaticServerConfig | string {
  const port = env.PORT;
  if (port === undefined || port === '') return 'PORT is not set; it must be the TCP port to listen on';
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return `PORT must be an integer from 0 to 65535, not "${port}"`;
  const root = env.SWITCHYARD_STATIC_ROOT;
  if (root === undefined || root === '') return 'SWITCHYARD_STATIC_ROOT is not set; it must be the absolute path of the folder to serve';
  if (!path.isAbsolute(root)) return `SWITCHYARD_STATIC_ROOT must be an absolute path, not "${root}"`;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
  } catch {
    return `SWITCHYARD_STATIC_ROOT ${root} does not exist`;
  }
  if (!isDirectory) return `SWITCHYARD_STATIC_ROOT ${root} is not a folder`;
  const spa = env.SWITCHYARD_STATIC_SPA ?? '0';
  if (spa !== '0' && spa !== '1') return `SWITCHYARD_STATIC_SPA must be 1 or 0, not "${spa}"`;
  const host = env.SWITCHYARD_STATIC_HOST || '127.0.0.1';
  if (net.isIP(host) === 0 && host !== 'localhost') return `SWITCHYARD_STATIC_HOST must be an IP address or localhost, not "${host}"`;
  return { port: Number(port), host, root, spa: spa === '1' };
}

function main(): void {
  const config = readConfig(process.env);
  if (typeof config === 'string') {
    process.stderr.write(`switchyard static: ${config}\n`);
    process.exit(EXIT_BAD_CONFIG);
  }
  const handler = createStaticHandler({ root: config.root, spa: config.spa });
  let stopping = false;
  const server = http.createServer((req, res) => {
    if (stopping) {
      // A request that arrives on a kept-alive connection during shutdown is served, then the connection closes.
      res.setHeader('Connection', 'close');
    }
    handler(req, res);
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;

  server.on('clientError', (error: NodeJS.ErrnoException, socket: net.Socket) => {
    // Malformed requests and resets are the client's problem: answer if possible, never crash.
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  server.once('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(`switchyard static: cannot listen on ${config.host}:${config.port}: ${error.code ?? error.message}\n`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as net.AddressInfo;
    const host = net.isIPv6(config.host) ? `[${config.host}]` : config.host;
    process.stdout.write(`serving ${config.root} on http://${host}:${port}\n`);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second signal means "now": drop whatever is still downloading.
      server.closeAllConnections();
      process.exit(0);
    }
    stopping = true;
    process.stdout.write(`${signal}: finishing in-flight responses, then exiting\n`);
    server.close(() => process.exit(0));
    // close() closes the connections idle right now; a kept-alive connection whose response is still
    // in flight turns idle only when it finishes, and would otherwise hold the exit for 5 s more.
    setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS).unref();
    setTimeout(() => {
      process.stderr.write(`switchyard static: responses still in flight after ${DRAIN_MS / 1000} s; closing their connections\n`);
      server.closeAllConnections();
      process.exit(0);
    }, DRAIN_MS).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
