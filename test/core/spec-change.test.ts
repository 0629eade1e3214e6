// planSpecChange is pure: what a changed stack file changes, worked out without a process.
import { describe, expect, it } from 'vitest';
import type { StackSpec } from '../../shared/stack.ts';
import { DEFAULT_CLIENT_LIMITS } from '../../shared/stack.ts';
import { planSpecChange } from '../../main/core/reload/spec-change.ts';
import { fixtureApp, fixtureStack } from '../helpers/specs.ts';

const api = fixtureApp('api', 'http-worker.js', { replicas: 2 });
const jobs = fixtureApp('jobs', 'ticker.js', { portEnv: null });

function stack(overrides: Partial<StackSpec> = {}): StackSpec {
  return {
    ...fixtureStack([api, jobs]),
    statics: [{ name: 'web', root: '/srv/web', spa: false }],
    proxy: {
      listen: { host: '127.0.0.1', port: 8080 },
      routes: [
        { host: null, path: '/api/', to: 'api', target: 'app', stripPrefix: false, timeout: 60_000, at: { line: 5, col: 3 } },
        { host: null, path: '/', to: 'web', target: 'static', stripPrefix: false, timeout: 60_000, at: { line: 8, col: 3 } },
      ],
      ...DEFAULT_CLIENT_LIMITS,
    },
    ...overrides,
  };
}

const names = (pools: { kind: string; spec?: { name: string }; site?: { name: string } }[]) => pools.map((pool) => pool.spec?.name ?? pool.site?.name);

describe('planSpecChange with tasks and depends_on', () => {
  const migrate = { name: 'migrate', argv: ['python3', 'manage.py', 'migrate'], cwd: '/srv', env: {}, dependsOn: [] };
  const withTasks = (tasks: StackSpec['tasks'], apps = [api, jobs]) => stack({ tasks, apps });

  it('adds a task, runs a changed one again, and takes a changed depends_on in place', () => {
    expect(names(planSpecChange(stack(), withTasks([migrate])).added)).toEqual(['migrate']);
    expect(names(planSpecChange(withTasks([migrate]), withTasks([{ ...migrate, argv: ['python3', 'manage.py', 'migrate', '--noinput'] }])).replaced)).toEqual(['migrate']);
    const waitsForDb = planSpecChange(withTasks([migrate]), withTasks([{ ...migrate, dependsOn: [{ on: 'jobs', condition: 'started' }] }]));
    expect([names(waitsForDb.replaced), names(waitsForDb.changedInPlace)]).toEqual([[], ['migrate']]);
    const apiWaits = planSpecChange(withTasks([migrate]), withTasks([migrate], [{ ...api, dependsOn: [{ on: 'migrate', condition: 'completed' }] }, jobs]));
    expect([names(apiWaits.replaced), names(apiWaits.changedInPlace)]).toEqual([[], ['api']]);
  });
});

describe('planSpecChange', () => {
  it('finds nothing to do in the same stack', () => {
    expect(planSpecChange(stack(), stack())).toEqual({
      listenChanged: false,
      added: [],
      removed: [],
      replaced: [],
      changedInPlace: [],
      scaled: [],
      routesChanged: false,
      clientLimits: '',
    });
  });

  it('changes balance, watch globs, health timings, restart, stop and reload settings and request limits in place, replacing no worker', () => {
    const edits = [
      { balance: 'least-conn' as const },
      { watch: ['**/*.py'] },
      { health: { ...api.health, interval: 5000, startInterval: 100, timeout: 3000, unhealthyAfter: 5 } },
      { restart: 'always' as const, backoff: { initial: 100, max: 1000 }, maxRestarts: 9, minUptime: 500 },
      { stop: { signal: 'SIGINT' as const, timeout: 9000 } },
      { reload: { signal: 'SIGHUP' as const } },
      { maxRequests: 1000, maxRequestsJitter: 50 },
    ];
    for (const edit of edits) {
      const plan = planSpecChange(stack(), stack({ apps: [{ ...api, ...edit }, jobs] }));
      expect(plan.replaced).toEqual([]);
      expect(names(plan.changedInPlace)).toEqual(['api']);
    }
  });

  it('replaces the workers of an app whose command, folder, environment, port variable or health path changed', () => {
    const edits = [
      { argv: [...api.argv, '--verbose'] },
      { cwd: '/elsewhere' },
      { env: { DEBUG: '1' } },
      { portEnv: 'HTTP_PORT' },
      { health: { ...api.health, path: '/ready' } },
    ];
    for (const edit of edits) {
      const plan = planSpecChange(stack(), stack({ apps: [{ ...api, ...edit }, jobs] }));
      expect(names(plan.replaced)).toEqual(['api']);
      expect(plan.changedInPlace).toEqual([]);
    }
  });

  it('scales without replacing, and says both when the command changes too', () => {
    expect(planSpecChange(stack(), stack({ apps: [{ ...api, replicas: 5 }, jobs] }))).toMatchObject({ scaled: [{ name: 'api', replicas: 5 }], replaced: [], changedInPlace: [] });
    const both = planSpecChange(stack(), stack({ apps: [{ ...api, replicas: 1, env: { X: '1' } }, jobs] }));
    expect(both.scaled).toEqual([{ name: 'api', replicas: 1 }]);
    expect(names(both.replaced)).toEqual(['api']);
  });

  it('adds and removes pools, and a name that changes kind is both', () => {
    const plan = planSpecChange(stack(), stack({ apps: [api, fixtureApp('web', 'http-worker.js'), fixtureApp('mail', 'ticker.js', { portEnv: null })], statics: [] }));
    expect(names(plan.added)).toEqual(['web', 'mail']);
    expect(plan.added.map((pool) => pool.kind)).toEqual(['app', 'app']);
    expect(plan.removed.sort()).toEqual(['jobs', 'web']);
  });

  it('replaces a static site whose root or SPA setting changed', () => {
    expect(names(planSpecChange(stack(), stack({ statics: [{ name: 'web', root: '/srv/other', spa: false }] })).replaced)).toEqual(['web']);
    expect(names(planSpecChange(stack(), stack({ statics: [{ name: 'web', root: '/srv/web', spa: true }] })).replaced)).toEqual(['web']);
  });

  it('sees route changes as the proxy does: a route that only moved in the file is none', () => {
    const base = stack();
    const routes = base.proxy!.routes;
    const moved = stack({ proxy: { ...base.proxy!, routes: routes.map((route) => ({ ...route, at: { line: route.at.line + 10, col: 1 } })) } });
    expect(planSpecChange(base, moved).routesChanged).toBe(false);
    const longer = stack({ proxy: { ...base.proxy!, routes: [{ ...routes[0]!, timeout: 5000 }, routes[1]!] } });
    expect(planSpecChange(base, longer)).toMatchObject({ routesChanged: true, replaced: [], changedInPlace: [] });
  });

  it('names changed client limits and a changed listen address', () => {
    const base = stack();
    expect(planSpecChange(base, stack({ proxy: { ...base.proxy!, maxConnections: 200 } })).clientLimits).toBe('max_connections 200');
    expect(planSpecChange(base, stack({ proxy: { ...base.proxy!, listen: { host: '127.0.0.1', port: 9090 } } })).listenChanged).toBe(true);
    expect(planSpecChange(base, stack({ proxy: null })).listenChanged).toBe(true);
  });
});
