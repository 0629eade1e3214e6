// What `switchyard check` prints: the plan a valid stack would run, or the issues of an invalid one.
import path from 'node:path';
import { DEFAULT_CLIENT_LIMITS } from '../../../shared/stack.ts';
import type { AppSpec, Dependency, ListenAddress, StackIssue, StackSpec, TaskSpec } from '../../../shared/stack.ts';
import { describeClientLimits } from '../proxy/proxy-config.ts';
import { definedVariables } from '../env/path-variable.ts';
import { formatDuration } from './duration.ts';
import { displayCommand, expandFirstWorkerCommand, PORT_PLACEHOLDER } from './worker-command.ts';

const DEFAULT_ROUTE_TIMEOUT = 60_000;

/**
 * A readable, column-aligned plan of a valid stack. Commands are shown as worker 1 will run them, with
 * their variables expanded from `inherited` (the environment workers start from) and their own.
 * `engine` describes the proxy's engine when it is not the builtin one (`nginx 1.22.1 (/usr/sbin/nginx)`).
 */
export function formatPlan(spec: StackSpec, inherited: NodeJS.ProcessEnv = process.env, engine: string | undefined = spec.proxy?.engine): string {
  const lines = [`Stack ${spec.name} (${spec.file})`];
  if (spec.proxy) {
    // Like a route's timeout, the engine and a client setting show only when they are not the default.
    const settings = [engine === undefined || engine === 'builtin' ? '' : `engine ${engine}`, describeClientLimits(spec.proxy, DEFAULT_CLIENT_LIMITS)].filter(Boolean).join('  ');
    lines.push('', `Proxy ${proxyUrl(spec.proxy.listen)}${settings === '' ? '' : `  ${settings}`}`);
    const rows = spec.proxy.routes.map((route) => {
      const notes = [route.stripPrefix ? 'strip prefix' : '', route.timeout === DEFAULT_ROUTE_TIMEOUT ? '' : `timeout ${formatDuration(route.timeout)}`];
      return [`${route.host ?? ''}${route.path}`, '->', `${route.target} ${route.to}`, notes.filter(Boolean).join(', ')];
    });
    lines.push(...table(rows));
  }
  if (spec.statics.length > 0) {
    lines.push('', 'Static sites');
    lines.push(...table(spec.statics.map((site) => [site.name, relativeTo(spec.dir, site.root), site.spa ? 'spa' : ''])));
  }
  const env = definedVariables(inherited);
  if (spec.tasks.length > 0) {
    lines.push('', 'Tasks (run to completion)');
    lines.push(...table(spec.tasks.map((task) => taskRow(spec, task, displayCommand(expandFirstWorkerCommand(task.argv, { ...task, portEnv: null }, env).map((expansion) => expansion.text))))));
  }
  if (spec.apps.length > 0) {
    lines.push('', 'Apps');
    const commands = spec.apps.map((app) => displayCommand(expandFirstWorkerCommand(app.argv, app, env).map((expansion) => expansion.text)));
    lines.push(...table(spec.apps.map((app, i) => appRow(spec, app, commands[i] ?? ''))));
    // Ports are found free as each worker starts, so the plan can only stand in for them.
    if (commands.some((command) => command.includes(PORT_PLACEHOLDER))) {
      lines.push(`  (commands as worker 1 runs them; ${PORT_PLACEHOLDER} is the port each worker is given when it starts)`);
    }
  }
  return lines.join('\n');
}

/** Issues in the compiler style `file:line:col: error: message`, then a count. Empty when there are none. */
export function formatIssues(issues: readonly StackIssue[], relativeToDir?: string): string {
  if (issues.length === 0) return '';
  const lines = issues.map((issue) => {
    const file = relativeToDir === undefined ? issue.file : path.relative(relativeToDir, issue.file) || issue.file;
    return `${file}:${issue.line}:${issue.col}: ${issue.severity}: ${issue.message}`;
  });
  const errors = issues.filter((issue) => issue.severity === 'error').length;
  const warnings = issues.length - errors;
  const counts = [errors > 0 ? plural(errors, 'error') : '', warnings > 0 ? plural(warnings, 'warning') : ''];
  return [...lines, counts.filter(Boolean).join(', ')].join('\n');
}

function appRow(spec: StackSpec, app: AppSpec, command: string): string[] {
  const cwd = app.cwd === spec.dir ? '' : `in ${relativeTo(spec.dir, app.cwd)}`;
  return [
    app.name,
    command,
    cwd,
    plural(app.replicas, 'worker'),
    app.portEnv === null ? 'no port' : `port in $${app.portEnv}`,
    healthSummary(app),
    `restart ${app.restart}`,
    startsAfter(app.dependsOn),
    app.reload === null ? '' : `reload by ${app.reload.signal}`,
  ];
}

function taskRow(spec: StackSpec, task: TaskSpec, command: string): string[] {
  return [task.name, command, task.cwd === spec.dir ? '' : `in ${relativeTo(spec.dir, task.cwd)}`, startsAfter(task.dependsOn)];
}

/** `after migrate completed, cache healthy`, or nothing. */
function startsAfter(dependencies: readonly Dependency[]): string {
  return dependencies.length === 0 ? '' : `after ${dependencies.map((dependency) => `${dependency.on} ${dependency.condition}`).join(', ')}`;
}

function healthSummary(app: AppSpec): string {
  if (app.portEnv === null) return 'no health check';
  const every = `every ${formatDuration(app.health.interval)}`;
  return app.health.path === null ? `TCP check ${every}` : `GET ${app.health.path} ${every}`;
}

function proxyUrl(listen: ListenAddress): string {
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return `http://${host}:${listen.port}`;
}

function relativeTo(dir: string, target: string): string {
  const relative = path.relative(dir, target);
  return relative === '' ? '.' : relative;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

// Columns are padded to their widest cell; a column empty in every row is left out, and no line ends in spaces.
function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  const shown = (i: number) => (widths[i] ?? 0) > 0;
  return rows.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).filter((_, i) => shown(i)).join('  ')}`.trimEnd());
}
