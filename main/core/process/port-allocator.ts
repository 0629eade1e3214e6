// Free loopback ports for workers. The OS picks them; we remember what we handed out so two
// workers starting at once never receive the same one.

import getPort from 'get-port';

/** Hands out free ports and takes them back when a worker's run ends. */
export class PortAllocator {
  private readonly inUse = new Set<number>();

  async allocate(): Promise<number> {
    const port = await getPort({ host: '127.0.0.1', exclude: this.inUse });
    this.inUse.add(port);
    return port;
  }

  release(port: number): void {
    this.inUse.delete(port);
  }
}
