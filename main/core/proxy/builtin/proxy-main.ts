// The builtin proxy process: `node proxy-main.ts`, forked by the core with an IPC channel. It speaks
// the ToProxy/FromProxy messages of shared/proxy.ts on top of a ProxyServer, and prints one human
// line per notable event on stdout, which the core shows as the proxy's log.

import type net from 'node:net';
import type { AccessEvent, FromProxy, ListenerHandle, PassiveMark, ToProxy } from '../../../../shared/proxy.ts';
import { EventBatcher } from '../../batching/event-batcher.ts';
import { accessEventBytes } from '../../batching/wire-size.ts';
import { toAccessTuple } from '../access-wire.ts';
import { describeListenFailure } from '../listen-failure.ts';
import type { SubsidedPeak } from './client-connections.ts';
import type { CapEpisode } from './connection-cap.ts';
import { startHeartbeat } from './heartbeat.ts';
import { reclaimMemory } from './memory-reclaim.ts';
import { ProxyServer } from './proxy-server.ts';

/** Grace for requests under way when the core asks the proxy to stop with SIGTERM. */
const SIGTERM_GRACE_MS = 5000;
/** Grace when the core vanished: nobody will read the access events, but clients still wait. */
const ORPHAN_GRACE_MS = 2000;

if (typeof process.send !== 'function') {
  console.error('proxy-main needs an IPC channel: the Switchyard core starts it with fork()');
  process.exit(2);
}

const proxy = new ProxyServer();
// Access events cross the IPC channel in batches, one message per frame of traffic, not per request.
const access = new EventBatcher<AccessEvent>({ deliver: (events) => send({ type: 'access', events: events.map(toAccessTuple) }), sizeOf: accessEventBytes });
let stopping = false;
/** Times memory was given back after a peak of connections; the log line counts them. */
let reclaims = 0;

proxy.onAccess((event) => access.push(event));
proxy.onDrained((member) => send({ type: 'drained', member }));
proxy.onPassive((mark) => {
  send({ type: 'passive', mark });
  console.log(describeMark(mark));
});
proxy.onConnectionCap((episode) => console.log(describeCapEpisode(episode)));
proxy.onConnectionsSubsided((passed) => {
  const { before, after } = reclaimMemory();
  console.log(describeReclaim(++reclaims, passed, before, after));
});
proxy.onRecycle((record) => send({ type: 'recycle', member: record.member.id, requests: record.requests }));

process.on('message', (message: ToProxy, handle: unknown) => {
  switch (message.type) {
    case 'configure':
      try {
        proxy.apply(message.config);
        send({ type: 'applied', version: message.version });
        console.log(`configuration ${message.version} applied: ${count(message.config.routes.length, 'route')}, ${count(Object.keys(message.config.upstreams).length, 'upstream')}`);
      } catch (error) {
        send({ type: 'rejected', version: message.version, message: messageOf(error) });
        console.log(`configuration ${message.version} rejected, the previous one stays: ${messageOf(error)}`);
      }
      return;
    case 'members':
      try {
        proxy.setMembers(message.upstream, message.members);
      } catch (error) {
        console.log(`members of ${message.upstream} ignored: ${messageOf(error)}`);
      }
      return;
    case 'listen':
      listen(message);
      return;
    case 'adopt':
      adopt(handle);
      return;
    case 'hand-over':
      handOver();
      return;
    case 'retire':
      console.log('the next proxy accepts on the listener; finishing requests under way');
      void stop(message.grace);
      return;
    case 'load':
      send({ type: 'load', seq: message.seq, load: proxy.memberLoad(message.member) });
      return;
  }
});

// The core died without a word (even SIGKILL closes the channel): finish what is under way, then go.
process.on('disconnect', () => void stop(ORPHAN_GRACE_MS));
process.on('SIGTERM', () => void stop(SIGTERM_GRACE_MS));
// Ctrl-C in a terminal reaches the whole process group; the core decides when the proxy stops.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
// One request meeting a bug must not take the listener, and every other request, down with it.
process.on('uncaughtException', (error) => console.error(`unexpected error, still serving: ${error.stack ?? error.message}`));

send({ type: 'hello', pid: process.pid });
// Until the process exits, draining included: a retiring proxy is still checked.
startHeartbeat(() => send({ type: 'heartbeat' }));

function listen(address: { host: string; port: number }): void {
  proxy.listen(address).then(
    (bound) => {
      send({ type: 'listening', host: bound.host, port: bound.port });
      console.log(`listening on ${url(bound)}`);
    },
    (error: NodeJS.ErrnoException) => {
      const code = error.code ?? 'EUNKNOWN';
      const message = describeListenFailure(address, code);
      send({ type: 'listen-failed', code, message });
      console.log(message);
    },
  );
}

function adopt(handle: unknown): void {
  if (handle === undefined || handle === null || typeof handle !== 'object') {
    const message = 'adopt came without a listening server handle';
    send({ type: 'listen-failed', code: 'ENOHANDLE', message });
    console.log(message);
    return;
  }
  // listen() attaches synchronously: the handle accepts from the moment it arrived.
  proxy.listen(handle as ListenerHandle | net.Server).then(
    (bound) => {
      send({ type: 'listening', host: bound.host, port: bound.port });
      console.log(`took over the listener on ${url(bound)}`);
    },
    (error: NodeJS.ErrnoException) => send({ type: 'listen-failed', code: error.code ?? 'EUNKNOWN', message: messageOf(error) }),
  );
}

function handOver(): void {
  let handle: ListenerHandle | undefined;
  try {
    handle = proxy.handOver();
  } catch (error) {
    console.log(`hand-over without a listener: ${messageOf(error)}`);
  }
  // Keep accepting until the next proxy does (the core says `retire`): at no moment does nobody accept.
  // Node carries a native handle as well as a net.Server ('net.Native'), though its types say otherwise.
  process.send!({ type: 'listener' } satisfies FromProxy, handle as net.Server | undefined, undefined, () => {
    console.log('handed a copy of the listener over; still accepting until the next proxy does');
  });
}

// Access events go out first; `idle` goes last, and the process exits once it is written.
async function stop(grace: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  const unfinished = await proxy.drain(grace);
  access.flush();
  console.log(unfinished === 0 ? 'every request finished; exiting' : `${count(unfinished, 'request')} cut at the end of the grace period; exiting`);
  if (!process.connected) process.exit(0);
  process.send!({ type: 'idle', unfinished } satisfies FromProxy, undefined, undefined, () => process.exit(0));
}

function send(message: FromProxy): void {
  if (process.connected) process.send!(message);
}

function describeMark(mark: PassiveMark): string {
  if (!mark.out) return `${mark.member} ${mark.reason}`;
  const seconds = mark.until === null ? '?' : ((mark.until - Date.now()) / 1000).toFixed(1);
  return `${mark.member} out of rotation for ${seconds}s after ${mark.reason}`;
}

function describeCapEpisode(episode: CapEpisode): string {
  if (!episode.reached) return `room for client connections again; ${count(episode.refused, 'connection')} refused while at the limit of ${episode.cap}`;
  return (
    `connection limit reached: ${count(episode.cap, 'client connection')} ${episode.cap === 1 ? 'is' : 'are'} open, so new ones are closed at once until some end; ` +
    `if this load is expected, raise proxy.max_connections in the stack file (now ${episode.cap})`
  );
}

function describeReclaim(n: number, passed: SubsidedPeak, before: NodeJS.MemoryUsage, after: NodeJS.MemoryUsage): string {
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  return (
    `memory reclaim ${n}: client connections fell from a peak of ${passed.peak} to ${passed.open}; after a full garbage collection ` +
    `RSS ${mib(before.rss)} → ${mib(after.rss)} MiB, V8 heap ${mib(before.heapTotal)} → ${mib(after.heapTotal)} MiB`
  );
}

function url(address: { host: string; port: number }): string {
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
