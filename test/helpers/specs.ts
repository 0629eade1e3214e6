// Specs with test-friendly timings for fixture programs.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppSpec, HealthSpec, StackSpec } from '../../shared/stack.ts';
import type { ProcessSpec } from '../../main/core/process/supervisor.ts';

/** Absolute path of test/fixtures. */
export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/**
 * Fast health checks, with a timeout that a worker on a busy machine still meets: a check that times
 * out for load alone flips a worker's health and, twice in a row, takes it out of rotation. A test
 * whose subject is the timeout sets its own.
 */
export const FIXTURE_HEALTH: HealthSpec = { path: '/healthz', interval: 200, startInterval: 20, timeout: 2000, healthyAfter: 1, unhealthyAfter: 2, restartAfter: 4 };

/** An app running `test/fixtures/<fixture>` with fast health checks and short backoff. */
export function fixtureApp(name: string, fixture: string, overrides: Partial<AppSpec> = {}): AppSpec {
  return {
    name,
    argv: [process.execPath, path.join(FIXTURES, fixture)],
    cwd: FIXTURES,
    replicas: 1,
    portEnv: 'PORT',
    env: {},
    health: FIXTURE_HEALTH,
    balance: 'round-robin',
    restart: 'on-failure',
    backoff: { initial: 50, max: 400 },
    maxRestarts: 3,
    minUptime: 2000,
    stop: { signal: 'SIGTERM', timeout: 2000 },
    watch: [],
    dependsOn: [],
    reload: null,
    maxRequests: 0,
    maxRequestsJitter: 0,
    ...overrides,
  };
}

/** A supervisor spec for worker 1 of a fixture app. */
export function fixtureProcess(fixture: string, overrides: Partial<AppSpec> = {}, env: Record<string, string> = {}): ProcessSpec {
  const app = fixtureApp(fixture.replace(/\.js$/, ''), fixture, overrides);
  return { ...app, env: { ...process.env, ...app.env, ...env } as Record<string, string>, name: `${app.name}-1`, app: app.name, kind: 'worker', worker: 1 };
}

/** A stack of fixture apps. */
export function fixtureStack(apps: AppSpec[], dir = FIXTURES): StackSpec {
  return { name: 'test', file: path.join(dir, 'switchyard.yaml'), dir, proxy: null, statics: [], apps, tasks: [] };
}
