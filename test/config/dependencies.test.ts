// tasks: and depends_on: in a stack file: what a valid file becomes, and each mistake at its line and column.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStack } from '../../main/core/config/load.ts';
import { makeStackDir, yaml } from './stack-dir.ts';
import type { StackDir } from './stack-dir.ts';

let stack: StackDir;
beforeEach(async () => {
  stack = await makeStackDir();
});
afterEach(async () => {
  await stack.remove();
});

async function load(...lines: string[]) {
  const file = await stack.write('switchyard.yaml', yaml(...lines));
  const { spec, issues } = await loadStack(file, { checkPorts: false, checkCommands: false });
  return { spec, issues: issues.map(({ line, col, severity, message }) => ({ line, col, severity, message })) };
}

const error = (line: number, col: number, message: string) => ({ line, col, severity: 'error', message });

describe('tasks and depends_on', () => {
  it('reads tasks like apps (command, cwd, env, env_file) and keeps depends_on in the order written', async () => {
    await stack.folder('backend');
    await stack.write('backend/.env', 'DATABASE_URL=sqlite:///db\n');
    const { spec, issues } = await load(
      'tasks:',
      '  migrate:',
      '    command: python3 manage.py migrate',
      '    cwd: ./backend',
      '    env_file: backend/.env',
      '    env: { DEBUG: 1 }',
      '    depends_on: { db: healthy }',
      'apps:',
      '  db:',
      '    command: node db.js',
      '  api:',
      '    command: node api.js',
      '    depends_on: { migrate: completed, db: started }',
    );
    expect(issues).toEqual([]);
    expect(spec?.tasks).toEqual([
      {
        name: 'migrate',
        argv: ['python3', 'manage.py', 'migrate'],
        cwd: path.join(stack.dir, 'backend'),
        env: { DATABASE_URL: 'sqlite:///db', DEBUG: '1' },
        envFiles: [path.join(stack.dir, 'backend/.env')],
        dependsOn: [{ on: 'db', condition: 'healthy' }],
      },
    ]);
    expect(spec?.apps.map((app) => app.dependsOn)).toEqual([
      [],
      [
        { on: 'migrate', condition: 'completed' },
        { on: 'db', condition: 'started' },
      ],
    ]);
  });

  it('names an unknown target, with the closest name, and a condition no target has', async () => {
    const { issues } = await load(
      'tasks:', //                                   1
      '  migrate:', //                               2
      '    command: node m.js', //                   3
      'apps:', //                                    4
      '  api:', //                                   5
      '    command: node a.js', //                   6
      '    depends_on:', //                          7
      '      migrat: completed', //                  8
      '      migrate: finished', //                  9
    );
    expect(issues).toEqual([
      error(8, 7, "depends_on of app 'api' names 'migrat', which is no app or task of this stack; did you mean 'migrate'? apps and tasks: migrate"),
      error(9, 16, "depends_on.migrate must be one of started, healthy, completed; got 'finished' (app 'api')"),
    ]);
  });

  it("refuses completed on an app, healthy on a task, a static site and a list instead of a map", async () => {
    await stack.folder('dist');
    const { issues } = await load(
      'static:', //                                  1
      '  web: { root: ./dist }', //                  2
      'tasks:', //                                   3
      '  build:', //                                 4
      '    command: node b.js', //                   5
      '    depends_on: [api]', //                    6
      'apps:', //                                    7
      '  cache:', //                                 8
      '    command: node c.js', //                   9
      '  api:', //                                   10
      '    command: node a.js', //                   11
      '    depends_on: { cache: completed, build: healthy, web: started }', // 12
    );
    expect(issues).toEqual([
      error(6, 17, "depends_on must be a map from app or task names to a condition, like { migrate: completed, cache: healthy }; got a list (task 'build')"),
      error(
        12,
        26,
        "app 'api' waits for app 'cache' to be completed, but an app serves until it is stopped and never completes; use healthy or started, or declare cache under tasks:",
      ),
      error(12, 44, "app 'api' waits for task 'build' to be healthy, but a task has no health check: it runs to completion; use completed or started"),
      error(12, 53, "depends_on of app 'api' names static site 'web', which starts with the stack and cannot be waited for; depends_on names apps and tasks"),
    ]);
  });

  it('reports a cycle once, with the names and lines of every step, and a dependency on itself', async () => {
    const { issues } = await load(
      'tasks:', //                                   1
      '  migrate:', //                               2
      '    command: node m.js', //                   3
      '    depends_on: { db: healthy }', //          4
      'apps:', //                                    5
      '  db:', //                                    6
      '    command: node db.js', //                  7
      '    depends_on: { api: started }', //         8
      '  api:', //                                   9
      '    command: node a.js', //                   10
      '    depends_on: { migrate: completed }', //   11
      '  worker:', //                                12
      '    command: node w.js', //                   13
      '    depends_on: { worker: started }', //      14
    );
    expect(issues).toEqual([
      error(8, 19, 'depends_on forms a cycle: db (line 8) → api (line 11) → migrate (line 4) → db, so none of them could start; remove one of these entries'),
      error(14, 19, "app 'worker' depends on itself, so it could never start; remove worker from its depends_on"),
    ]);
  });

  it('keeps names unique across apps, static sites and tasks, with the rules of app names', async () => {
    await stack.folder('dist');
    const { issues } = await load(
      'static:', //                                  1
      '  web: { root: ./dist }', //                  2
      'apps:', //                                    3
      '  api: { command: node a.js }', //            4
      'tasks:', //                                   5
      '  api: { command: node m.js }', //            6
      '  web: { command: node m.js }', //            7
      '  seed-2: { command: node s.js }', //         8
      '  all: { command: node s.js, replicas: 2 }', // 9
    );
    expect(issues).toEqual([
      error(6, 3, "'api' names both an app and a task; depends_on and commands refer to them by name, so rename one"),
      error(7, 3, "'web' names both a static site and a task; depends_on and commands refer to them by name, so rename one"),
      error(8, 3, "task name 'seed-2' cannot end in -<number>: workers are named like seed-1, so it would be ambiguous; rename it, like seed2 or seed-v2"),
      error(9, 3, "task name 'all' is reserved by the command line (switchyard restart proxy, switchyard logs all); choose another"),
      error(9, 30, "unknown key 'replicas' in task 'all'; valid keys: command, cwd, env, env_file, depends_on, image, build"),
    ]);
  });

  it('checks a task as it checks an app: its folder and its program', async () => {
    const file = await stack.write('switchyard.yaml', yaml('tasks:', '  migrate:', '    command: nosuchprogram-sy migrate', '    cwd: ./missing'));
    const { issues } = await loadStack(file, { checkPorts: false });
    expect(issues.map(({ line, col, message }) => ({ line, col, message }))).toEqual([
      { line: 4, col: 10, message: `cwd './missing' of task 'migrate' does not exist (looked for ${path.join(stack.dir, 'missing')}); create it or fix the path` },
    ]);
    const fixed = await stack.write('switchyard.yaml', yaml('tasks:', '  migrate:', '    command: nosuchprogram-sy migrate'));
    const again = await loadStack(fixed, { checkPorts: false, searchPath: '/nowhere' });
    expect(again.issues.map(({ line, col, message }) => ({ line, col, message }))).toEqual([
      {
        line: 3,
        col: 14,
        message: "command 'nosuchprogram-sy' not found on PATH (task 'migrate'): looked in /nowhere; install it, fix the name, or give its path relative to the task's cwd, like ./venv/bin/nosuchprogram-sy",
      },
    ]);
  });
});
