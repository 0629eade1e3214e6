// One running stack with everything around it: the watchdog, the control hub and server, the run
// file and the stack-file watcher. `switchyard up` and the desktop app both run a stack through
// this, so the two hosts cannot drift apart.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ConfigOutcome } from '../../../shared/api.ts';
import type { StackSpec } from '../../../shared/stack.ts';
import { ControlHub, type ControlHubOptions } from '../control/control-api.ts';
import { ControlServer } from '../control/control-server.ts';
import { removeRunFile, runFilePath, writeRunFile } from './run-file.ts';
import { StackFolderError, acquireStackLock, type StackLock } from './stack-lock.ts';
import { SwitchyardError } from '../errors.ts';
import { Emitter } from '../events.ts';
import type { NodeRuntime } from '../process/node-runtime.ts';
import type { EngineFactory } from '../proxy/engine.ts';
import { newStackMarker } from '../process/process-tree.ts';
import { Watchdog, type WatchdogReplacement } from './watchdog.ts';
import { refuseIfRunning } from './running-instance.ts';
import { StackFileWatcher } from '../reload/stack-file-watcher.ts';
import { Stack } from '../stack.ts';

/** How to host one stack. */
export interface StackHostOptions {
  /** The stack file, absolute. */
  file: string;
  spec: StackSpec;
  /** Runs the proxy, the static servers and the watchdog (this Node by default). */
  runtime?: NodeRuntime;
  /** The environment workers inherit beneath their own `env` (process.env by default). */
  baseEnv?: NodeJS.ProcessEnv;
  /** Log lines kept per process. */
  retainedLines?: number;
  /** The proxy engine, when not the one the stack file names (`up --engine`). */
  engine?: EngineFactory;
  /** The built dashboard, served on the control port when given. */
  dashboardDir?: string;
  /** `switchyard down` (or the API's shutdown) asked the host to stop. */
  onShutdownRequest: () => void;
  /** More of the hub's options (what the diagnostics report, for one). */
  hub?: Partial<Omit<ControlHubOptions, 'startedAt' | 'onShutdown' | 'reloadStackFile'>>;
}

/** A hosted stack: open it, start it, stop it, close it. */
export class StackHost {
  readonly file: string;
  readonly stack: Stack;
  readonly hub: ControlHub;
  readonly server: ControlServer;
  readonly startedAt: number;
  private readonly watchdog: Watchdog;
  private readonly runFile: string;
  private readonly lock: StackLock;
  private fileWatcher: StackFileWatcher | null = null;
  private stopping: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private readonly _onConfig = new Emitter<ConfigOutcome>();
  /** Fires when a change of the stack file was applied or refused. */
  readonly onConfig = this._onConfig.event;

  private constructor(parts: { file: string; stack: Stack; hub: ControlHub; server: ControlServer; watchdog: Watchdog; runFile: string; lock: StackLock; startedAt: number }) {
    this.file = parts.file;
    this.stack = parts.stack;
    this.hub = parts.hub;
    this.server = parts.server;
    this.watchdog = parts.watchdog;
    this.runFile = parts.runFile;
    this.lock = parts.lock;
    this.startedAt = parts.startedAt;
  }

  /**
   * Creates the stack (nothing spawned yet), opens the control API on loopback and writes the run
   * file. Refuses a stack file that another instance is running.
   */
  static async open(options: StackHostOptions): Promise<StackHost> {
    const { file, spec } = options;
    const runFile = runFilePath(file);
    await StackHost.refuseIfRunning(file);
    const marker = newStackMarker();
    // Before anything starts: of two instances started at once, exactly one goes on.
    let lock: StackLock;
    try {
      lock = acquireStackLock(file, marker);
    } catch (error) {
      throw error instanceof StackFolderError ? runFolderError(runFile, error.cause) : error;
    }
    const startedAt = Date.now();
    const watchdog = Watchdog.start({ runFile, lockFile: lock.file, marker, ...(options.runtime ? { runtime: options.runtime } : {}) });
    const stack = new Stack(spec, {
      marker,
      tracker: watchdog,
      watch: true,
      ...(options.runtime ? { node: options.runtime } : {}),
      ...(options.baseEnv ? { baseEnv: options.baseEnv } : {}),
      ...(options.retainedLines ? { retainedLines: options.retainedLines } : {}),
      ...(options.engine ? { engine: options.engine } : {}),
    });
    let host: StackHost | null = null;
    const hub = new ControlHub(stack, {
      ...options.hub,
      startedAt,
      onShutdown: options.onShutdownRequest,
      reloadStackFile: () => {
        const watcher = host?.fileWatcher;
        if (!watcher) return Promise.reject(new SwitchyardError('bad-request', 'the stack is still starting; try again in a moment'));
        return watcher.applyNow().then((outcome) => ({ time: Date.now(), ...outcome }));
      },
    });
    const token = randomBytes(32).toString('base64url');
    let server: ControlServer;
    try {
      server = await ControlServer.listen({
        api: hub.api,
        hub,
        logs: stack.logs,
        logSources: (name) => stack.logSources(name),
        token,
        avoidPorts: spec.proxy ? [spec.proxy.listen.port] : [],
        ...(options.dashboardDir ? { dashboardDir: options.dashboardDir } : {}),
      });
    } catch (error) {
      hub.dispose();
      await watchdog.dispose();
      lock.release();
      throw new SwitchyardError('internal', `could not open the control API on 127.0.0.1: ${(error as Error).message}`);
    }
    try {
      writeRunFile(runFile, { pid: process.pid, port: server.port, token, stackFile: file, startedAt });
    } catch (error) {
      try {
        await server.close();
      } finally {
        hub.dispose();
        await watchdog.dispose();
        lock.release();
      }
      throw runFolderError(runFile, error as Error);
    }
    watchdog.onReplaced((replaced) => stack.logs.append('watchdog', 'system', describeReplacement(replaced)));
    host = new StackHost({ file, stack, hub, server, watchdog, runFile, lock, startedAt });
    return host;
  }

  /** Throws, naming the pid and what to do, when another instance runs the stack file `file`. */
  static refuseIfRunning(file: string): Promise<void> {
    return refuseIfRunning(file);
  }

  /** Spawns every process, then watches the stack file for changes. */
  async start(): Promise<void> {
    const reaped = this.lock.reaped;
    if (reaped) {
      this.stack.logs.append('watchdog', 'system', `the previous run of this stack (pid ${reaped.pid}) died with nobody to clean up after it; stopped ${reaped.count} process${reaped.count === 1 ? '' : 'es'} it left running`);
    }
    await this.stack.start();
    if (this.stopping || this.closing) return;
    this.fileWatcher = new StackFileWatcher(this.file, this.stack, (outcome) => {
      const config: ConfigOutcome = { time: Date.now(), ...outcome };
      this.hub.reportConfig(config);
      this._onConfig.fire(config);
    });
  }

  /** Stops every process gracefully (each with its own stop signal and timeout); safe to call again. */
  stop(): Promise<void> {
    this.stopping ??= this.stack.stop();
    return this.stopping;
  }

  /** Kills every process tree at once (a second Ctrl-C, or a graceful stop that takes too long). */
  kill(): Promise<void> {
    return this.stack.kill();
  }

  /** After a stop: closes the control API, removes the run file and lets the watchdog go. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.fileWatcher?.dispose();
      await this.server.close();
      this.hub.dispose();
      removeRunFile(this.runFile);
      await this.watchdog.dispose();
      this.lock.release();
    })();
    return this.closing;
  }
}

/** The stack's `.switchyard` folder cannot hold its lock or run file. */
function runFolderError(runFile: string, cause: Error): SwitchyardError {
  return new SwitchyardError('internal', `could not write the run file ${runFile}: ${cause.message}; \`switchyard ps\`, \`logs\` and \`down\` find a running stack through it, so make ${path.dirname(runFile)} a folder this user can write to`);
}

function describeReplacement(replaced: WatchdogReplacement): string {
  const died = `the watchdog (pid ${replaced.died ?? 'unknown'}) died (${replaced.exit})`;
  if (replaced.replacement === null) {
    return `${died} and was not replaced: ${replaced.reason}. If switchyard dies now, its processes outlive it; the next \`switchyard up\` of this stack stops them`;
  }
  return `${died}; a new one (pid ${replaced.replacement}) guards the ${replaced.handed} process${replaced.handed === 1 ? '' : 'es'} it was handed`;
}
