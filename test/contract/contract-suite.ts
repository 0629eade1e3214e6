// The control contract, tested once against a real core (a Stack with its proxy, static site and
// workers) through whatever transport `connect` opens: the WebSocket now, the desktop shell's IPC
// later with the same suite.

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRecord, LoadProgress } from '../../shared/api.ts';
import { CallError, type SessionClient } from '../../shared/client.ts';
import type { EventEnvelope, EventMap, EventTopic, Snapshot } from '../../shared/events.ts';
import type { LogLine, ProcessInfo } from '../../shared/process.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../shared/stack.ts';
import type { StackSpec } from '../../shared/stack.ts';
import { ControlHub } from '../../main/core/control/control-api.ts';
import { Stack } from '../../main/core/stack.ts';
import { FIXTURES, fixtureApp } from '../helpers/specs.ts';
import { waitFor } from '../helpers/wait.ts';

/** A connected client and what it has received. */
export interface ContractConnection {
  client: SessionClient;
  snapshots: Snapshot[];
  events: EventEnvelope[];
  close(): Promise<void>;
}

/** Opens a session to `hub` over the transport under test. */
export type Connect = (hub: ControlHub) => Promise<ContractConnection>;

/** Collects what a SessionClient receives. */
export function recording(client: SessionClient, close: () => Promise<void>): ContractConnection {
  const connection: ContractConnection = { client, snapshots: [], events: [], close };
  client.onSnapshot((snapshot) => connection.snapshots.push(snapshot));
  client.onEvents((events) => connection.events.push(...events));
  return connection;
}

function dataOf<T extends EventTopic>(connection: ContractConnection, topic: T): EventMap[T][] {
  return connection.events.filter((event) => event.topic === topic).map((event) => event.data as EventMap[T]);
}

function lines(connection: ContractConnection): LogLine[] {
  return dataOf(connection, 'logs').flat();
}

function latest(connection: ContractConnection, name: string): ProcessInfo | undefined {
  return dataOf(connection, 'process').findLast((info) => info.name === name);
}

/** The whole suite, for one transport. */
export function contractSuite(transport: string, connect: Connect): void {
  describe(`the control contract over ${transport}`, () => {
    let stack: Stack;
    let hub: ControlHub;
    let proxyPort: number;
    let main: ContractConnection;
    const opened: ContractConnection[] = [];

    const open = async () => {
      const connection = await connect(hub);
      opened.push(connection);
      return connection;
    };

    beforeAll(async () => {
      proxyPort = await getPort({ host: '127.0.0.1' });
      const site = mkdtempSync(path.join(os.tmpdir(), 'switchyard-contract-site-'));
      writeFileSync(path.join(site, 'index.html'), '<!doctype html><title>site</title>');
      const spec: StackSpec = {
        name: 'contract',
        file: path.join(FIXTURES, 'switchyard.yaml'),
        dir: FIXTURES,
        proxy: {
          listen: { host: '127.0.0.1', port: proxyPort },
          routes: [
            { host: null, path: '/api/', to: 'api', target: 'app', stripPrefix: false, timeout: 5000, at: { line: 1, col: 1 } },
            { host: null, path: '/', to: 'web', target: 'static', stripPrefix: false, timeout: 5000, at: { line: 1, col: 1 } },
          ],
          ...DEFAULT_CLIENT_LIMITS,
        },
        statics: [{ name: 'web', root: site, spa: true }],
        apps: [fixtureApp('api', 'http-worker.js', { replicas: 2, restart: 'always', stop: { signal: 'SIGTERM', timeout: 3000 } })],
        tasks: [],
      };
      stack = new Stack(spec, { retainedLines: 5000 });
      hub = new ControlHub(stack, { startedAt: Date.now(), onShutdown: () => {} });
      await stack.start();
      await waitFor(() => stack.processes().every((p) => p.state === 'ready'), 'every process ready');
      await waitFor(async () => (await fetch(`http://127.0.0.1:${proxyPort}/api/x`)).status === 200, 'the proxy to route');
      main = await open();
      main.client.subscribe();
      await waitFor(() => main.snapshots.length === 1, 'the first snapshot');
    });

    afterAll(async () => {
      await Promise.all(opened.map((connection) => connection.close()));
      hub?.dispose();
      await stack?.kill();
    });

    it('answers a subscribe with a snapshot of the stack', () => {
      const snapshot = main.snapshots[0]!;
      expect(snapshot.status.name).toBe('contract');
      expect(snapshot.status.spec.proxy?.listen.port).toBe(proxyPort);
      expect(snapshot.processes.map((p) => p.name).sort()).toEqual(['api-1', 'api-2', 'proxy', 'web']);
      expect(snapshot.processes.every((p) => p.state === 'ready')).toBe(true);
      expect(snapshot.logs.some((line) => line.source === 'api-1' && /listening on/.test(line.text))).toBe(true);
      expect(snapshot.logsSkipped).toBe(0);
    });

    it('answers calls with results, and refusals with their code and a message', async () => {
      const processes = await main.client.api.listProcesses();
      expect(processes).toHaveLength(4);
      expect((await main.client.api.status()).file).toBe(path.join(FIXTURES, 'switchyard.yaml'));
      await expect(main.client.api.restart('nope')).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/no app or process named 'nope'/) });
      await expect(main.client.api.scale('api', -1)).rejects.toBeInstanceOf(CallError);
      await expect(main.client.api.reloadStackFile()).rejects.toMatchObject({ code: 'bad-request' });
    });

    it('answers diagnostics with the stack, the PATH its processes get and where each app\'s program resolves', async () => {
      const diagnostics = await main.client.api.diagnostics();
      expect(diagnostics.stack).toEqual({ name: 'contract', file: path.join(FIXTURES, 'switchyard.yaml') });
      expect(diagnostics.runtime).toMatchObject({ host: 'cli', node: process.versions.node, pid: process.pid });
      expect(diagnostics.path).toMatchObject({ value: process.env.PATH ?? '', source: 'inherited', problem: null });
      expect(diagnostics.commands).toEqual([{ app: 'api', command: process.execPath, resolved: process.execPath }]);
    });

    it('streams log lines as a worker prints them', async () => {
      const text = `contract-line-${Date.now()}`;
      await fetch(`http://127.0.0.1:${proxyPort}/api/say?text=${text}`);
      const line = await waitFor(() => lines(main).find((each) => each.text === text), 'the printed line as an event');
      expect(line.source).toMatch(/^api-[12]$/);
      expect(line.stream).toBe('stdout');
    });

    it('streams access events numbered in order, with the app that answered, and a traffic sample per second', async () => {
      for (let i = 0; i < 5; i++) expect((await fetch(`http://127.0.0.1:${proxyPort}/api/contract-${i}`)).status).toBe(200);
      const records = await waitFor(() => {
        const mine = dataOf(main, 'access').flat().filter((record) => record.path.startsWith('/api/contract-'));
        return mine.length === 5 ? mine : undefined;
      }, 'five access events');
      expect(records.every((record: AccessRecord) => record.app === 'api' && record.status === 200)).toBe(true);
      const seqs = records.map((record) => record.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      const sample = await waitFor(() => dataOf(main, 'traffic').find((each) => (each.apps.api?.requests ?? 0) > 0), 'a traffic sample with api requests');
      expect(sample.apps.api!.p50).not.toBeNull();
      expect(await main.client.api.access({ tail: 3 })).toHaveLength(3);
    });

    it('reports a restart as process events with a new pid', async () => {
      const before = stack.processes().find((p) => p.name === 'api-2')!.pid;
      expect(await main.client.api.restart('api-2')).toEqual(['api-2']);
      const after = await waitFor(() => {
        const info = latest(main, 'api-2');
        return info?.state === 'ready' && info.pid !== before ? info : undefined;
      }, 'api-2 ready with a new pid');
      expect(after.pid).toBeGreaterThan(0);
      expect(dataOf(main, 'process').some((info) => info.name === 'api-2' && info.state === 'stopping')).toBe(true);
    });

    it('kills a worker on purpose and shows its crash and recovery', async () => {
      // Read before the kill: by the time its answer arrives the worker may already be seen dead (pid null).
      const target = await waitFor(() => stack.processes().find((p) => p.name === 'api-1' && p.state === 'ready')?.pid, 'api-1 ready');
      const pid = await main.client.api.kill('api-1');
      expect(pid).toBe(target);
      await waitFor(() => dataOf(main, 'process').some((info) => info.name === 'api-1' && info.state === 'crashed'), 'api-1 crashed');
      await waitFor(() => latest(main, 'api-1')?.state === 'ready' && latest(main, 'api-1')?.pid !== pid, 'api-1 back, with a new pid');
      await expect(main.client.api.kill('proxy')).rejects.toMatchObject({ code: 'bad-request' });
    });

    it('stops and starts a worker', async () => {
      expect(await main.client.api.stop('api-2')).toEqual(['api-2']);
      await waitFor(() => latest(main, 'api-2')?.state === 'stopped', 'api-2 stopped');
      expect(await main.client.api.start('api-2')).toEqual(['api-2']);
      await waitFor(() => latest(main, 'api-2')?.state === 'ready', 'api-2 ready again');
      expect(await main.client.api.start('api-2')).toEqual([]);
    });

    it('ends a rolling reload with each worker name showing its successor, ready', async () => {
      const before = new Map(stack.processes().filter((p) => p.app === 'api').map((p) => [p.name, p.pid]));
      const from = main.events.length;
      expect(await main.client.api.reload('api')).toEqual(['api-1', 'api-2']);
      await waitFor(() => {
        const shown = main.events.slice(from).filter((event) => event.topic === 'process').map((event) => event.data as ProcessInfo);
        return [...before.keys()].every((name) => {
          const last = shown.findLast((info) => info.name === name);
          return last?.state === 'ready' && last.pid !== before.get(name);
        });
      }, 'the last event of each worker to be its successor, ready');
      const listed = await main.client.api.listProcesses();
      expect(listed.filter((p) => p.app === 'api').map((p) => p.name)).toEqual(['api-1', 'api-2']);
    });

    it('scales up and down, saying which process left', async () => {
      expect(await main.client.api.scale('api', 3)).toEqual(['api-1', 'api-2', 'api-3']);
      await waitFor(() => latest(main, 'api-3')?.state === 'ready', 'api-3 ready');
      expect(await main.client.api.scale('api', 2)).toEqual(['api-1', 'api-2']);
      await waitFor(() => dataOf(main, 'removed').some((each) => each.name === 'api-3'), 'api-3 removed');
    });

    it('runs a load test against the proxy with progress events and no failures', async () => {
      const started = await main.client.api.loadTest({ path: '/api/load', rate: 100, duration: 1 });
      expect(started.state).toBe('running');
      const done = await waitFor(
        () => dataOf(main, 'load').find((progress: LoadProgress) => progress.id === started.id && progress.state === 'done'),
        'the load test to finish',
        { timeout: 15_000 },
      );
      // Open loop: every due request is sent, or skipped while too many are unanswered (a busy machine).
      expect(done.sent + done.skipped).toBe(100);
      expect(done.sent).toBeGreaterThan(0);
      expect(done.failed).toBe(0);
      expect(done.ok).toBe(done.sent);
      await expect(main.client.api.loadTest({ path: 'http://example.com/', rate: 10, duration: 1 })).rejects.toMatchObject({ code: 'bad-request' });
      await expect(main.client.api.stopLoadTest('no-such-test')).rejects.toMatchObject({ code: 'not-found' });
    });

    it('gives a reconnecting client only the lines it missed', async () => {
      const second = await open();
      second.client.subscribe({ logTail: 10 });
      await waitFor(() => second.snapshots.length === 1, 'a snapshot');
      expect(second.snapshots[0]!.logs.length).toBeLessThanOrEqual(10);
      const lastSeen = second.snapshots[0]!.logs.at(-1)!.seq;
      await second.close();
      const missed = `missed-while-away-${Date.now()}`;
      await fetch(`http://127.0.0.1:${proxyPort}/api/say?text=${missed}`);
      await waitFor(() => stack.logs.query({ sources: null, tail: 50 }).some((line) => line.text === missed), 'the line in the core');
      // Its access record comes from the proxy a moment after the line: it is not missed, so it must be in before the count is read.
      await waitFor(() => stack.access.recent().some((record) => record.path.includes(missed)), 'the access record in the core');
      const third = await open();
      third.client.subscribe({ logsAfter: lastSeen, accessAfter: stack.access.count });
      await waitFor(() => third.snapshots.length === 1, 'a snapshot');
      const snapshot = third.snapshots[0]!;
      expect(snapshot.logs[0]!.seq).toBe(lastSeen + 1);
      expect(snapshot.logs.some((line) => line.text === missed)).toBe(true);
      expect(snapshot.logsSkipped).toBe(0);
      expect(snapshot.access).toEqual([]);
    });
  });
}
