// `depends_on` across the stack: every name it gives is an app or a task, each condition is one its
// target can meet, and no chain of them comes back to where it started.
import { closestMatch } from 'leven';
import type { DependencyCondition } from '../../../shared/stack.ts';
import type { BuildContext } from './build-context.ts';
import { CONDITIONS } from './schema.ts';

/** The names a stack file declares, section by section, in file order, with each entry's raw value. */
export interface DeclaredNames {
  apps: [string, unknown][];
  tasks: [string, unknown][];
  statics: string[];
}

interface Edge {
  section: 'apps' | 'tasks';
  from: string;
  to: string;
  condition: DependencyCondition;
}

/** Reports every depends_on entry that names nothing waitable, asks for what its target never does, or closes a cycle. */
export function checkDependencies(ctx: BuildContext, declared: DeclaredNames): void {
  const apps = new Set(declared.apps.map(([name]) => name));
  const tasks = new Set(declared.tasks.map(([name]) => name));
  const statics = new Set(declared.statics);
  const edges = [...edgesOf('apps', declared.apps), ...edgesOf('tasks', declared.tasks)];
  const sound: Edge[] = [];
  for (const edge of edges) {
    const problem = edgeProblem(edge, apps, tasks, statics);
    if (problem === null) sound.push(edge);
    else ctx.issues.push(ctx.source.issue(keyPath(edge), problem.message, 'error', problem.at));
  }
  for (const cycle of cyclesOf(sound)) {
    const line = (edge: Edge) => ctx.source.position(keyPath(edge), 'key').line;
    const chain = cycle.map((edge) => `${edge.from} (line ${line(edge)})`).join(' → ');
    const first = cycle[0] as Edge;
    ctx.issues.push(
      ctx.source.issue(keyPath(first), `depends_on forms a cycle: ${chain} → ${first.from}, so none of them could start; remove one of these entries`, 'error', 'key'),
    );
  }
}

function edgesOf(section: Edge['section'], entries: [string, unknown][]): Edge[] {
  return entries.flatMap(([from, raw]) => {
    const written = isMap(raw) ? raw.depends_on : undefined;
    if (!isMap(written)) return [];
    // A condition that is not one of the three has been reported by the schema.
    return Object.entries(written).flatMap(([to, condition]) => (isCondition(condition) ? [{ section, from, to, condition }] : []));
  });
}

function edgeProblem(edge: Edge, apps: Set<string>, tasks: Set<string>, statics: Set<string>): { message: string; at: 'key' | 'value' } | null {
  const owner = `${edge.section === 'apps' ? 'app' : 'task'} '${edge.from}'`;
  if (edge.to === edge.from) return { message: `${owner} depends on itself, so it could never start; remove ${edge.to} from its depends_on`, at: 'key' };
  if (statics.has(edge.to)) {
    return { message: `depends_on of ${owner} names static site '${edge.to}', which starts with the stack and cannot be waited for; depends_on names apps and tasks`, at: 'key' };
  }
  if (apps.has(edge.to)) {
    if (edge.condition !== 'completed') return null;
    return {
      message: `${owner} waits for app '${edge.to}' to be completed, but an app serves until it is stopped and never completes; use healthy or started, or declare ${edge.to} under tasks:`,
      at: 'value',
    };
  }
  if (tasks.has(edge.to)) {
    if (edge.condition !== 'healthy') return null;
    return { message: `${owner} waits for task '${edge.to}' to be healthy, but a task has no health check: it runs to completion; use completed or started`, at: 'value' };
  }
  const known = [...apps, ...tasks].filter((name) => name !== edge.from);
  const suggestion = closestMatch(edge.to, known, { maxDistance: Math.max(2, Math.floor(edge.to.length / 3)) });
  const hint = suggestion ? `did you mean '${suggestion}'? ` : '';
  return { message: `depends_on of ${owner} names '${edge.to}', which is no app or task of this stack; ${hint}apps and tasks: ${known.join(', ') || 'none'}`, at: 'key' };
}

/** Each cycle once, as its edges in order, found by a depth-first walk in file order. */
function cyclesOf(edges: Edge[]): Edge[][] {
  const out = new Map<string, Edge[]>();
  for (const edge of edges) out.set(edge.from, [...(out.get(edge.from) ?? []), edge]);
  const done = new Set<string>();
  const cycles: Edge[][] = [];
  const seen = new Set<string>();
  const path: Edge[] = [];
  const onPath = new Set<string>();
  const visit = (node: string): void => {
    onPath.add(node);
    for (const edge of out.get(node) ?? []) {
      if (onPath.has(edge.to)) {
        const cycle = [...path.slice(path.findIndex((each) => each.from === edge.to)), edge];
        const key = cycle.map((each) => each.from).sort().join('\0');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!done.has(edge.to)) {
        path.push(edge);
        visit(edge.to);
        path.pop();
      }
    }
    onPath.delete(node);
    done.add(node);
  };
  for (const node of out.keys()) if (!done.has(node)) visit(node);
  return cycles;
}

function keyPath(edge: Edge): string[] {
  return [edge.section, edge.from, 'depends_on', edge.to];
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isCondition(value: unknown): value is DependencyCondition {
  return (CONDITIONS as readonly unknown[]).includes(value);
}
