// Events in pairs, as in VS Code: a private Emitter fires, a public `event` subscribes and hands
// back a Disposable, so every listener has an owner that can remove it.

/** Something that holds a resource until disposed. */
export interface Disposable {
  dispose(): void;
}

/** Subscribes a listener; the returned Disposable unsubscribes it. */
export type Event<T> = (listener: (value: T) => void) => Disposable;

let unexpectedErrorHandler = (error: unknown): void => {
  console.error('switchyard: a listener failed:', error);
};

/** Where errors thrown by listeners go; the orchestrator must survive a faulty listener. */
export function setUnexpectedErrorHandler(handler: (error: unknown) => void): void {
  unexpectedErrorHandler = handler;
}

/** A typed event source. Listener errors are reported, never allowed to break the emitter. */
export class Emitter<T> {
  // Copy-on-write: subscribing is rare and firing is hot (once per log line), so firing iterates the
  // current array without copying, and a listener added or removed during a fire takes effect next time.
  private listeners: readonly ((value: T) => void)[] = [];

  readonly event: Event<T> = (listener) => {
    // Wrap so the same function may subscribe twice and dispose independently.
    const entry = (value: T) => listener(value);
    this.listeners = [...this.listeners, entry];
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== entry)) };
  };

  fire(value: T): void {
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        (listeners[i] as (value: T) => void)(value);
      } catch (error) {
        unexpectedErrorHandler(error);
      }
    }
  }

  get listenerCount(): number {
    return this.listeners.length;
  }

  dispose(): void {
    this.listeners = [];
  }
}

/** Collects disposables so an owner can release them all at once. */
export class DisposableStore implements Disposable {
  private readonly items = new Set<Disposable>();

  add<D extends Disposable>(item: D): D {
    this.items.add(item);
    return item;
  }

  dispose(): void {
    // One faulty disposable must not leak the others.
    for (const item of this.items) {
      try {
        item.dispose();
      } catch (error) {
        unexpectedErrorHandler(error);
      }
    }
    this.items.clear();
  }
}
