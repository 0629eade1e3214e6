// Access events on the builtin proxy's channel: one array per request, not an object, since every
// request crosses it (shared/proxy.ts, AccessTuple).

import type { AccessEvent, AccessTuple } from '../../../shared/proxy.ts';

/** The tuple that carries `event`. */
export function toAccessTuple(event: AccessEvent): AccessTuple {
  return [
    event.time,
    event.method,
    event.path,
    event.status,
    event.bytes,
    event.duration,
    event.route,
    event.worker,
    event.member,
    event.requestId,
    event.error,
    event.attempts,
  ];
}

/** The event a tuple carries. */
export function fromAccessTuple(tuple: AccessTuple): AccessEvent {
  return {
    time: tuple[0],
    method: tuple[1],
    path: tuple[2],
    status: tuple[3],
    bytes: tuple[4],
    duration: tuple[5],
    route: tuple[6],
    worker: tuple[7],
    member: tuple[8],
    requestId: tuple[9],
    error: tuple[10],
    attempts: tuple[11],
  };
}
