// The shape of a stack file, section by section. Each section is checked on its own so that one broken
// app does not hide the mistakes of the others; cross-checks (names, routes, files) live in the loaders.
// zod/mini, the same schemas without a method table on every type: building them is most of what
// loading the stack file's checks costs, and `switchyard check` pays it on each run.
import * as z from 'zod/mini';
import { DEFAULT_CLIENT_LIMITS } from '../../../shared/stack.ts';
import type { ListenAddress, ProxyEngineName } from '../../../shared/stack.ts';
import { splitCommand } from './command.ts';
import { parseDuration } from './duration.ts';
import { parseListen } from './listen.ts';

// Messages are written as what the value must be; `schema-issues.ts` adds the field, where and the value found.
function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  const error = max === Number.MAX_SAFE_INTEGER ? `must be a whole number of at least ${min}` : `must be a whole number from ${min} to ${max}`;
  return z.number({ error }).check(z.int({ error }), z.minimum(min, { error }), z.maximum(max, { error }));
}

const flag = z.boolean({ error: 'must be true or false' });

function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

/** A transform by `convert`, whose error becomes the value's issue. */
function failWith<I, T>(convert: (value: I) => T) {
  return z.transform((value: I, payload): T => {
    try {
      return convert(value);
    } catch (error) {
      payload.issues.push({ code: 'custom', message: (error as Error).message, input: value });
      return z.NEVER;
    }
  });
}

const duration = z.pipe(
  z.union([z.string(), z.number()], { error: 'must be a duration, like 250ms, 2s or 1m' }),
  failWith((value: string | number) => parseDuration(value)),
);

const positiveDuration = duration.check(z.refine((ms) => ms > 0, { error: 'must be longer than 0ms' }));

// Node's timers turn anything longer than about 24.8 days into 1ms, so a day is the most a client timeout may be.
const clientTimeout = positiveDuration.check(z.refine((ms) => ms <= 86_400_000, { error: 'must be at most 24h' }));

const urlPath = z.string({ error: 'must be a path starting with /, like /api/' }).check(z.startsWith('/', { error: 'must be a path starting with /, like /api/' }));

const pathText = z.string({ error: 'must be a path, like ./backend' }).check(z.minLength(1, { error: 'must be a path, like ./backend' }));

const HOST = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;
const hostName = z.pipe(
  z
    .string({ error: 'must be a host name without scheme or port, like admin.localhost' })
    .check(z.regex(HOST, { error: 'must be a host name without scheme or port, like admin.localhost' })),
  z.transform((host: string) => host.toLowerCase()),
);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Balance strategies, in the order messages list them. */
export const BALANCE = ['round-robin', 'least-conn', 'ip-hash'] as const;
/** Restart policies, in the order messages list them. */
export const RESTART = ['always', 'on-failure', 'never'] as const;
/** Stop signals, in the order messages list them. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGKILL'] as const;
/** Proxy engines, in the order messages list them. */
export const ENGINES = ['builtin', 'nginx'] as const satisfies readonly ProxyEngineName[];
/** Reload signals, in the order messages list them. */
export const RELOAD_SIGNALS = ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const;

function commandArgv(value: unknown): string[] {
  if (typeof value === 'string') return splitCommand(value);
  const isArgument = (item: unknown) => typeof item === 'string' || typeof item === 'number';
  if (Array.isArray(value) && value.length > 0 && value.every(isArgument) && String(value[0]) !== '') {
    return value.map(String);
  }
  throw new Error(`must be a string like "node server.js" or a non-empty list like [node, server.js]; got ${describeValue(value)}`);
}

/** The top level; its sections are checked by their own schemas. */
export const topSchema = z.strictObject({
  version: z.optional(z.literal(1, { error: 'must be 1: this Switchyard reads stack file version 1' })),
  name: z.optional(z.string({ error: 'must be a text, like shop' }).check(z.minLength(1, { error: 'must be a text, like shop' }))),
  proxy: z.optional(z.unknown()),
  static: z.nullish(z.record(z.string(), z.unknown(), { error: 'must be a map from site names to their settings' })),
  apps: z.nullish(z.record(z.string(), z.unknown(), { error: 'must be a map from app names to their settings' })),
  tasks: z.nullish(z.record(z.string(), z.unknown(), { error: 'must be a map from task names to their settings' })),
});

/** `proxy:`, with each route checked by `routeSchema`. */
export const proxySchema = z.strictObject(
  {
    listen: z.pipe(z.unknown(), failWith((value): ListenAddress => parseListen(value))),
    engine: z._default(choice(ENGINES), 'builtin'),
    routes: z.array(z.unknown(), { error: 'must be a list of routes' }).check(z.minLength(1, { error: 'must list at least one route' })),
    client_header_timeout: z._default(clientTimeout, DEFAULT_CLIENT_LIMITS.clientHeaderTimeout),
    client_body_timeout: z._default(clientTimeout, DEFAULT_CLIENT_LIMITS.clientBodyTimeout),
    keepalive_timeout: z._default(clientTimeout, DEFAULT_CLIENT_LIMITS.keepaliveTimeout),
    max_connections: z._default(integer(1, 1_000_000), DEFAULT_CLIENT_LIMITS.maxConnections),
  },
  { error: 'must be a map with listen and routes' },
);

/** One item of `proxy.routes`. */
export const routeSchema = z.strictObject(
  {
    path: z._default(urlPath, '/'),
    host: z.optional(hostName),
    to: z.string({ error: 'must name an app, a static site or an http(s):// URL' }).check(z.minLength(1, { error: 'must name an app, a static site or an http(s):// URL' })),
    strip_prefix: z._default(flag, false),
    timeout: z._default(positiveDuration, 60_000),
  },
  { error: 'must be a map with path and to' },
);

/** `static.NAME`. */
export const staticSchema = z.strictObject(
  {
    root: pathText,
    spa: z._default(flag, false),
  },
  { error: 'must be a map of settings, like { root: ./dist }' },
);

const healthSchema = z.strictObject(
  {
    path: z._default(z.nullable(urlPath), null),
    // Docker's timing: a slow pace once ready keeps checks out of the app's own log, a fast one while it starts.
    interval: z._default(positiveDuration, 5000),
    start_interval: z._default(positiveDuration, 250),
    timeout: z._default(positiveDuration, 1000),
    healthy_after: z._default(integer(1), 1),
    unhealthy_after: z._default(integer(1), 3),
    restart_after: z._default(integer(1), 10),
  },
  { error: 'must be a map, like { path: /healthz }' },
);

/** Dependency conditions, in the order messages list them. */
export const CONDITIONS = ['started', 'healthy', 'completed'] as const;

/** `apps.NAME`. */
export const appSchema = z.strictObject(
  {
    command: z.pipe(z.unknown(), failWith(commandArgv)),
    cwd: z.optional(pathText),
    replicas: z._default(integer(0, 256), 1),
    port_env: z._default(
      z.pipe(
        z
          .string({ error: 'must be an environment variable name like PORT, or none for an app that serves no port' })
          .check(z.regex(ENV_NAME, { error: 'must be an environment variable name like PORT, or none for an app that serves no port' })),
        z.transform((name: string) => (name === 'none' ? null : name)),
      ),
      'PORT',
    ),
    env: z._default(
      z.record(
        z.string().check(z.regex(/^[^=\0]+$/, { error: 'must be a variable name without = in it' })),
        z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, a number or true/false (write "" for an empty value)' }),
        { error: 'must be a map of variables, like { NODE_ENV: development }' },
      ),
      {},
    ),
    env_file: z._default(
      z.pipe(
        z.union([pathText, z.array(pathText)], { error: 'must be a path or a list of paths, like .env' }),
        z.transform((files: string | string[]) => (typeof files === 'string' ? [files] : files)),
      ),
      [],
    ),
    health: z.prefault(healthSchema, {}),
    balance: z._default(choice(BALANCE), 'round-robin'),
    restart: z._default(choice(RESTART), 'on-failure'),
    backoff: z.prefault(
      z.strictObject({ initial: z._default(duration, 500), max: z._default(duration, 30_000) }, { error: 'must be a map, like { initial: 500ms, max: 30s }' }),
      {},
    ),
    max_restarts: z._default(integer(0), 10),
    min_uptime: z._default(duration, 5000),
    stop: z.prefault(
      z.strictObject(
        { signal: z._default(choice(STOP_SIGNALS), 'SIGTERM'), timeout: z._default(duration, 10_000) },
        { error: 'must be a map, like { signal: SIGTERM, timeout: 10s }' },
      ),
      {},
    ),
    watch: z._default(z.array(z.string({ error: 'must be a glob, like "**/*.js"' }), { error: 'must be a list of globs, like ["**/*.js"]' }), []),
    depends_on: z._default(
      z.record(z.string(), choice(CONDITIONS), { error: 'must be a map from app or task names to a condition, like { migrate: completed, cache: healthy }' }),
      {},
    ),
    reload: z.optional(z.strictObject({ signal: choice(RELOAD_SIGNALS) }, { error: 'must be a map, like { signal: SIGHUP }' })),
    max_requests: z._default(integer(0), 0),
    max_requests_jitter: z._default(integer(0), 0),
    // Only `switchyard export compose|k8s` reads these: the image a container runs, or the folder to build it from.
    image: z.optional(z.string({ error: 'must be an image name, like shop/api:1.4' }).check(z.regex(/^\S+$/, { error: 'must be an image name without spaces, like shop/api:1.4' }))),
    build: z.optional(pathText),
  },
  { error: 'must be a map of settings, like { command: node server.js }' },
);

/** `tasks.NAME`: a command run to completion, with what an app runs with and nothing about serving. */
export const taskSchema = z.pick(appSchema, { command: true, cwd: true, env: true, env_file: true, depends_on: true, image: true, build: true });

/** A route as the schema returns it. */
export type RouteInput = z.output<typeof routeSchema>;
/** An app as the schema returns it. */
export type AppInput = z.output<typeof appSchema>;
/** A task as the schema returns it. */
export type TaskInput = z.output<typeof taskSchema>;

const KEYS = {
  top: Object.keys(topSchema.shape),
  proxy: Object.keys(proxySchema.shape),
  route: Object.keys(routeSchema.shape),
  static: Object.keys(staticSchema.shape),
  app: Object.keys(appSchema.shape),
  task: Object.keys(taskSchema.shape),
  health: Object.keys(healthSchema.shape),
  backoff: ['initial', 'max'],
  stop: ['signal', 'timeout'],
  reload: ['signal'],
};

/** The keys a map at this path may hold, for unknown-key messages. */
export function validKeysAt(path: readonly (string | number)[]): string[] {
  const [section, name, field] = path;
  if (path.length === 0) return KEYS.top;
  if (section === 'proxy') return path.length === 1 ? KEYS.proxy : KEYS.route;
  if (section === 'static') return KEYS.static;
  if (section === 'tasks') return name === undefined || field !== undefined ? [] : KEYS.task;
  if (section !== 'apps' || name === undefined) return [];
  if (field === 'health' || field === 'backoff' || field === 'stop' || field === 'reload') return KEYS[field];
  return KEYS.app;
}

/** A value as a message shows what was found: `'text'`, `42`, `a list`, `nothing`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}
