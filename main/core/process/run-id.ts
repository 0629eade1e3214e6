// A run's id (ProcessInfo.id) is `<app>#<n>`, n counting every supervisor this process created:
// unique within a stack and never reused, so it tells two runs apart where their name does not.

let created = 0;

/** A new run id for a process of `app`. */
export function newRunId(app: string): string {
  return `${app}#${++created}`;
}

/** The app or static site in a run id (`api#7` → `api`), or null for another shape. */
export function appOfRun(id: string): string | null {
  const hash = id.lastIndexOf('#');
  return hash > 0 ? id.slice(0, hash) : null;
}

/** The run id in a proxy member id (`api#3@4120` → `api#3`; pools/run-set.ts builds them). */
export function runOfMember(member: string): string {
  const at = member.indexOf('@');
  return at < 0 ? member : member.slice(0, at);
}
