// Names of apps, static sites and tasks appear in routes, in depends_on, in worker names (`api-1`) and on the command line.

const NAME = /^[a-z0-9][a-z0-9_-]*$/;
// The CLI gives these words their own meaning: `switchyard restart proxy`, `switchyard logs all`.
const RESERVED = new Set(['proxy', 'all']);

/** Why `name` cannot name an app, static site or task, or null when it can. */
export function nameProblem(kind: 'app' | 'static site' | 'task', name: string): string | null {
  if (!NAME.test(name)) {
    return `${kind} name '${name}' must use lowercase letters, digits, - and _, starting with a letter or digit, like api or web_2`;
  }
  const suffix = /-(\d+)$/.exec(name);
  if (suffix) {
    const stem = name.slice(0, suffix.index);
    return `${kind} name '${name}' cannot end in -<number>: workers are named like ${stem}-1, so it would be ambiguous; rename it, like ${stem}${suffix[1]} or ${stem}-v${suffix[1]}`;
  }
  if (RESERVED.has(name)) return `${kind} name '${name}' is reserved by the command line (switchyard restart proxy, switchyard logs all); choose another`;
  return null;
}
