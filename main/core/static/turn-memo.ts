// What the disk said, shared by the requests answered in one turn of the event loop.
//
// Looking at the disk for every request is what makes an edit show on the next request, and under
// load it was the largest cost of a small file that is answered from memory (an lstat is 3-5 µs on
// a VM, the whole answer about 30). Under load one turn answers many requests: the poll phase hands
// Node every socket that became readable while the last turn ran (about 25 per turn for 32
// keep-alive clients), so one look per path per turn serves all of them.
//
// Why a look taken in this turn is never too old for a request answered in it: requests reach the
// handler from socket reads in the poll phase, after the wait that reported their bytes. A client
// that edits a file and then sends a request finishes the edit before the bytes exist, so before
// that wait, so before any look taken while answering. Entries are dropped in the check phase,
// which follows the poll phase, so no look outlives the turn it was taken in. Where the reasoning
// stops holding is narrow: a pipelined request sent after an edit behind an earlier request still
// unanswered, or more than 1,024 sockets ready at once (libuv then waits a second time within one
// poll phase).

/** A map that empties itself at the end of the current event-loop turn. */
export class TurnMemo<V> {
  private readonly entries = new Map<string, V>();
  private clearing = false;
  private readonly clear = (): void => {
    this.entries.clear();
    this.clearing = false;
  };

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.entries.set(key, value);
    if (this.clearing) return;
    this.clearing = true;
    setImmediate(this.clear);
  }
}
