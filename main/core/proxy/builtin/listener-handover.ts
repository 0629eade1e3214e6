// One restart of the proxy that refuses no connection (nginx's binary upgrade, HAProxy's -sf): the
// fresh process is configured, the one it replaces sends a copy of its listening socket through the
// core, the fresh one accepts on it, and only then does the old one stop accepting and retire. For a
// moment both accept on the same socket; at no moment does nobody.

import type { ListenerHandle } from '../../../../shared/proxy.ts';
import type { ListenAddress, Millis } from '../../../../shared/stack.ts';
import type { ProcessState } from '../../../../shared/process.ts';
import { SwitchyardError } from '../../errors.ts';
import { deferred, withTimeout } from './deferred.ts';
import { ANSWER_TIMEOUT_MS } from './proxy-instance.ts';
import type { ProxyInstance } from './proxy-instance.ts';

/** The listener's way from `old` to `fresh`, driven by their messages. */
export class ListenerHandover {
  readonly old: ProxyInstance;
  readonly fresh: ProxyInstance;
  private readonly listen: ListenAddress;
  /** How long the old proxy may spend finishing its requests once it retires. */
  private readonly retireGrace: Millis;
  private readonly tookOver = deferred<void>();
  /** The engine stopped meanwhile: a listener that still arrives is closed, not passed on. */
  private abandoned = false;

  constructor(old: ProxyInstance, fresh: ProxyInstance, listen: ListenAddress, retireGrace: Millis) {
    this.old = old;
    this.fresh = fresh;
    this.listen = listen;
    this.retireGrace = retireGrace;
  }

  /** Resolves once the fresh proxy accepts on the listener; rejects when it cannot, or does not in time. */
  done(): Promise<void> {
    return withTimeout(this.tookOver.promise, ANSWER_TIMEOUT_MS, 'the new proxy did not take over the listener');
  }

  /** The fresh proxy holds its configuration: the old one is asked for its listener, or it listens itself when there is none. */
  freshConfigured(): void {
    if (this.old.phase === 'listening' && this.old.alive) {
      this.old.moveTo('handing-over');
      this.old.send({ type: 'hand-over' });
      return;
    }
    const { host, port } = this.listen;
    this.fresh.send({ type: 'listen', host, port });
  }

  /** The old proxy's listener arrived: the core only holds it (it never accepts on it), passes it on and closes its own copy. */
  relay(handle: ListenerHandle): void {
    if (this.abandoned || !this.fresh.alive) {
      handle.close();
      return;
    }
    this.fresh
      .adopt(handle)
      .catch((error: Error) => this.tookOver.reject(error))
      .finally(() => handle.close());
  }

  /** The fresh proxy accepts: the old one may stop now. */
  freshListening(): void {
    if (this.old.phase === 'handing-over') this.retireOld();
    this.tookOver.resolve();
  }

  /** The old proxy stops accepting and finishes its requests. */
  retireOld(): void {
    this.old.moveTo('retiring');
    this.old.send({ type: 'retire', grace: this.retireGrace });
  }

  /** The fresh proxy cannot take over (it could not be configured, or it ended). */
  fail(error: Error): void {
    this.tookOver.reject(error);
  }

  /** A process ended: the fresh one will not take over, so fail now, not at the timeout. */
  ended(instance: ProxyInstance, state: ProcessState): void {
    if (instance !== this.fresh) return;
    this.fail(new SwitchyardError('internal', `the new proxy ${state === 'stopped' ? 'stopped' : 'exited'} before it took over the listener`));
  }

  /** The engine stops: nothing is passed on any more. */
  abandon(): void {
    this.abandoned = true;
  }
}
