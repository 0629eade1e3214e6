// The nginx engine: the system's nginx as the stack's proxy, run in the foreground by a supervisor
// like any process, on a configuration generated from the stack file (nginx-conf.ts) in its own
// prefix under .switchyard/nginx. No IPC: configurations go through files, `nginx -t` and SIGHUP
// (nginx-reloader.ts); requests come back on a named pipe (access-pipe.ts) and upstream failures on
// its stderr, its error log (nginx-access.ts).

import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProxyEngineInfo } from '../../../../shared/api.ts';
import type { AccessEvent, MemberLoad, PassiveMark, ProxyConfig, UpstreamMember } from '../../../../shared/proxy.ts';
import { LIVE_STATES } from '../../../../shared/process.ts';
import { SwitchyardError } from '../../errors.ts';
import { DisposableStore, Emitter } from '../../events.ts';
import type { ProbeResult } from '../../health/health-probe.ts';
import { probeWorker } from '../../health/health-probe.ts';
import { Supervisor } from '../../process/supervisor.ts';
import type { StateChange } from '../../process/supervisor.ts';
import { PROXY_PROCESS, type EngineContext, type EngineFactory, type ProxyEngine, type RecycleDue } from '../engine.ts';
import { routesTo, withMembers } from '../proxy-config.ts';
import { AccessPipe } from './access-pipe.ts';
import { NginxOutputReader } from './nginx-access.ts';
import { findNginx, type NginxBinary } from './nginx-binary.ts';
import { NginxConfigFiles } from './nginx-config-files.ts';
import { engineTarget, renderNginxConf } from './nginx-conf.ts';
import { NginxReloader } from './nginx-reloader.ts';
import { workerPids } from './nginx-workers.ts';

/** nginx's prefix, beside the stack file: its configuration, pid file and temp folders. */
export const NGINX_PREFIX = path.join('.switchyard', 'nginx');

/** How long a stopping nginx (SIGQUIT) may spend finishing its requests before its tree is killed. */
const STOP_GRACE_MS = 10_000;

/** The nginx engine, as a stack's engine factory. */
export const nginxEngine: EngineFactory = (context) => new NginxEngine(context);

/** Runs nginx and keeps its configuration in step with the stack's routes and members. */
export class NginxEngine implements ProxyEngine {
  private readonly context: EngineContext;
  private supervisor: Supervisor | null = null;
  private nginx: NginxBinary | null = null;
  private files: NginxConfigFiles | null = null;
  private accessPipe: AccessPipe | null = null;
  private readonly reloader: NginxReloader;
  private readonly output: NginxOutputReader;
  /** The master's pid once it has started its workers: from then on it takes signals. */
  private serving: number | null = null;
  /** The configuration, with its members' changes, while nginx is being found (before the reloader holds it). */
  private early: ProxyConfig | null = null;
  private readonly subscriptions = new DisposableStore();

  private readonly _onAccess = new Emitter<readonly AccessEvent[]>();
  readonly onAccess = this._onAccess.event;
  private readonly _onPassive = new Emitter<PassiveMark>();
  readonly onPassive = this._onPassive.event;
  private readonly _onRecycle = new Emitter<RecycleDue>();
  readonly onRecycle = this._onRecycle.event;
  private readonly _onProcessChange = new Emitter<StateChange>();
  readonly onProcessChange = this._onProcessChange.event;

  constructor(context: EngineContext) {
    this.context = context;
    this.reloader = new NginxReloader({
      files: () => this.filesOrThrow(),
      render: (config) => renderNginxConf(config, { ...engineTarget(this.context.listen, this.filesOrThrow().prefix), accessLog: this.pipeOrThrow().path }),
      master: () => this.serving,
      note: (text) => this.note(text),
    });
    this.output = new NginxOutputReader({
      access: (events) => this._onAccess.fire(events),
      passive: (mark) => this._onPassive.fire(mark),
      recycle: (member, requests) => this._onRecycle.fire({ member, requests }),
    });
  }

  /** Graceful reloads sent to nginx so far (configurations and membership changes). */
  get reloads(): number {
    return this.reloader.reloads;
  }

  async start(config: ProxyConfig): Promise<void> {
    this.early = config;
    const found = await findNginx(this.context.env);
    if (!found.ok) throw new SwitchyardError('bad-request', found.problem);
    this.nginx = found.nginx;
    const prefix = path.join(this.context.cwd, NGINX_PREFIX);
    mkdirSync(prefix, { recursive: true });
    this.files = new NginxConfigFiles(found.nginx.path, prefix);
    // Before the first `nginx -t`: nginx opens the pipe for writing, which waits for a reader.
    this.accessPipe = new AccessPipe(prefix);
    this.accessPipe.open(this.output.accessReader());
    const first = this.early;
    this.early = null;
    // Synchronously after `files`: from here on the reloader takes the members' changes.
    const checked = this.reloader.initial(first);
    this.output.learn(first);
    await checked;
    this.supervisor = this.createSupervisor(found.nginx.path, this.files);
    await this.supervisor.start();
  }

  async configure(config: ProxyConfig): Promise<void> {
    if (this.files === null) {
      this.early = config;
      return;
    }
    this.output.learn(config);
    await this.reloader.configure(config);
  }

  setMembers(upstream: string, members: UpstreamMember[]): void {
    if (this.files === null) {
      if (this.early !== null) this.early = withMembers(this.early, upstream, members) ?? this.early;
      return;
    }
    this.reloader.setMembers(upstream, members);
    const config = this.reloader.config;
    if (config) this.output.learn(config);
  }

  drained(member: string, timeout: number): Promise<boolean> {
    if (!routesTo(this.reloader.config, member)) return Promise.resolve(true);
    return this.reloader.drained(member, timeout);
  }

  /** nginx does not say what it has under way on a server; a busy worker's timed-out check counts as failed. */
  load(): Promise<MemberLoad | null> {
    return Promise.resolve(null);
  }

  /**
   * Replaces nginx's workers by a graceful reload: the master keeps the listening socket and starts
   * new workers before the old ones stop accepting, so no connection is refused. A master that is
   * not serving is restarted instead, which loses nothing: it was not accepting.
   */
  async restart(): Promise<void> {
    const supervisor = this.supervisor;
    if (!supervisor) throw new SwitchyardError('not-found', 'this stack has no proxy');
    if (this.serving === null || !LIVE_STATES.includes(supervisor.state)) {
      await supervisor.restart('restart requested for proxy');
      return;
    }
    this.note('restart requested: new nginx workers by a graceful reload (the master keeps the listener)');
    await this.reloader.renewWorkers();
  }

  async stop(): Promise<void> {
    const settled = this.reloader.dispose();
    await this.supervisor?.stop();
    await this.closeAfter(settled);
  }

  async kill(): Promise<void> {
    const settled = this.reloader.dispose();
    await this.supervisor?.kill();
    await this.closeAfter(settled);
  }

  supervisors(): Supervisor[] {
    return this.supervisor ? [this.supervisor] : [];
  }

  async describe(): Promise<ProxyEngineInfo> {
    const nginx = this.nginx;
    const file = this.files?.file;
    const text = file === undefined ? null : await readFile(file, 'utf8').catch(() => null);
    return { engine: 'nginx', program: nginx ? `nginx ${nginx.version}, ${nginx.path}` : null, config: file === undefined || text === null ? null : { file, text } };
  }

  private createSupervisor(binary: string, files: NginxConfigFiles): Supervisor {
    const { listen, cwd, env } = this.context;
    const supervisor = new Supervisor(
      {
        ...PROXY_PROCESS,
        argv: [binary, ...files.args()],
        cwd,
        env,
        fixedPort: listen.port,
        // nginx's graceful shutdown: stop accepting, finish the requests in flight, exit.
        stop: { signal: 'SIGQUIT', timeout: STOP_GRACE_MS },
        check: ({ pid }) => () => this.check(pid),
      },
      this.context.deps,
    );
    this.subscriptions.add(
      supervisor.onSpawn(({ child }) => {
        this.serving = null;
        this.reloader.spawned();
        this.output.readErrors(child.stderr);
      }),
    );
    this.subscriptions.add(
      supervisor.onStateChange((change) => {
        if (!LIVE_STATES.includes(change.to)) this.serving = null;
        this._onProcessChange.fire(change);
      }),
    );
    return supervisor;
  }

  /**
   * nginx serves once its master has started workers (it installs its signal handlers just before,
   * so a reload may be sent from then on) and its port accepts connections.
   */
  private async check(master: number): Promise<ProbeResult> {
    const { host, port } = this.context.listen;
    if ((await workerPids(master)).length === 0) return { ok: false, detail: 'nginx has not started its workers yet', host: null };
    const result = await probeWorker(port, PROXY_PROCESS.health, host === '0.0.0.0' || host === '::' ? null : host);
    if (result.ok && this.serving !== master && this.supervisor?.currentPid === master) {
      this.serving = master;
      this.reloader.ready();
    }
    return result.ok ? { ...result, detail: `nginx listens on ${host}:${port}` } : result;
  }

  /** Closes the access pipe once the reloader's last job is done: an `nginx -t` opening it after would create a plain file. */
  private async closeAfter(settled: Promise<void>): Promise<void> {
    await settled;
    this.subscriptions.dispose();
    this.accessPipe?.close();
  }

  private pipeOrThrow(): AccessPipe {
    if (this.accessPipe === null) throw new SwitchyardError('internal', 'nginx has not been found yet');
    return this.accessPipe;
  }

  private filesOrThrow(): NginxConfigFiles {
    if (this.files === null) throw new SwitchyardError('internal', 'nginx has not been found yet');
    return this.files;
  }

  private note(text: string): void {
    this.context.deps.logs.append('proxy', 'system', text);
  }
}
