// The cap on one proxy process's client connections (nginx's worker_connections). Past it Node closes
// each new connection as it is accepted, so that the connections already open, and their upstream
// connections, keep their file handles. An episode is told once when it begins and once when there is
// room again, with how many connections were refused meanwhile, never once per refusal.

import { Emitter } from '../../events.ts';
import type { Disposable, Event } from '../../events.ts';

/** The cap was reached, or there is room again after `refused` connections were closed unserved. */
export type CapEpisode = { reached: true; cap: number } | { reached: false; cap: number; refused: number };

/** Tracks refusals at the cap and tells when an episode begins and ends. */
export class ConnectionCap implements Disposable {
  private readonly _onEpisode = new Emitter<CapEpisode>();
  /** Once when the cap is first reached, once when connections fall well below it again. */
  readonly onEpisode: Event<CapEpisode> = this._onEpisode.event;
  /** The cap Node enforces (net.Server's maxConnections), kept in step by the server. */
  cap: number;
  /** Connections refused in the current episode; null outside one. */
  private refused: number | null = null;

  constructor(cap: number) {
    this.cap = cap;
  }

  /** Node closed a new connection because the cap was reached. */
  refusedOne(): void {
    if (this.refused === null) {
      this.refused = 0;
      this._onEpisode.fire({ reached: true, cap: this.cap });
    }
    this.refused++;
  }

  /** A connection closed, leaving `open`; an episode ends with a tenth of the cap free, so that it does not flap at the edge. */
  closed(open: number): void {
    if (this.refused === null || open > this.cap - Math.max(1, Math.floor(this.cap / 10))) return;
    const refused = this.refused;
    this.refused = null;
    this._onEpisode.fire({ reached: false, cap: this.cap, refused });
  }

  dispose(): void {
    this._onEpisode.dispose();
  }
}
