// What the stack does with what its proxy engine reports: every request becomes an access record
// (with the app and the run that answered) and a line of `logs proxy`; passive checks taking a
// member out of rotation, or back, become lines too.

import type { Disposable } from '../events.ts';
import type { LogStore } from '../logs/log-store.ts';
import { appOfRun, runOfMember } from '../process/run-id.ts';
import type { StateChange, Supervisor } from '../process/supervisor.ts';
import { type AccessLog, type AccessOrigin, formatAccess } from './access-log.ts';
import type { ProxyEngine } from './engine.ts';

/** Member ids whose origin is kept; a long session's restarts make new ids, so the cache starts over past this. */
const MAX_CACHED_ORIGINS = 1024;

/** Finds the app and run of a member id, and the process name to show for it. */
export interface MemberLookup {
  origin(member: string): AccessOrigin;
  /** `api-2` for a member of `api-2`'s run; the id itself when the run is gone. */
  label(member: string): string;
}

/** Names the app and run behind a member id (`api#3@4120`), also once the run is gone; `run` finds a live run by id. */
export function memberLookup(run: (id: string) => Supervisor | null): MemberLookup {
  return {
    origin: (member) => {
      const id = runOfMember(member);
      return { app: appOfRun(id), process: id };
    },
    label: (member) => {
      const found = run(runOfMember(member));
      const at = member.indexOf('@');
      return found ? `${found.name}${at < 0 ? '' : member.slice(at)}` : member;
    },
  };
}

/** Wires an engine's reports into the stack's logs and access log; returns the subscriptions. */
export function connectEngine(engine: ProxyEngine, logs: LogStore, access: AccessLog, members: MemberLookup, changed: (change: StateChange) => void): Disposable[] {
  // One line per request at proxy speed: each record is kept as the line, its text made when read.
  const writeAccess = logs.deferredWriter('proxy', formatAccess);
  // A stack has few members and each answers many requests: each one's origin is worked out once.
  const origins = new Map<string, AccessOrigin>();
  const originOf = (member: string): AccessOrigin => {
    let origin = origins.get(member);
    if (origin === undefined) {
      if (origins.size >= MAX_CACHED_ORIGINS) origins.clear();
      origin = members.origin(member);
      origins.set(member, origin);
    }
    return origin;
  };
  return [
    engine.onProcessChange(changed),
    engine.onAccess((events) => {
      const now = Date.now();
      for (const record of access.add(events, originOf)) writeAccess('stdout', record, now);
    }),
    engine.onPassive(({ member, out, reason, until }) => {
      const back = until === null ? '' : ` for ${Math.max(0, Math.round((until - Date.now()) / 100) / 10)}s`;
      const label = members.label(member);
      logs.append('proxy', 'system', out ? `${label} out of rotation${back}: ${reason}` : `${label} back in rotation: ${reason}`);
    }),
  ];
}
