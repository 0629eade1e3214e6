// `image:` and `build:` (read by `switchyard export compose|k8s`) are checked like any other key.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadStack } from '../../main/core/config/load.ts';
import { planSpecChange } from '../../main/core/reload/spec-change.ts';
import { makeStackDir, yaml } from './stack-dir.ts';
import type { StackDir } from './stack-dir.ts';

const offline = { checkPorts: false, checkCommands: false };

let stack: StackDir;
beforeEach(async () => {
  stack = await makeStackDir();
});
afterEach(async () => {
  await stack.remove();
});

describe('image and build', () => {
  it('keeps an image name, a build folder made absolute, and the env files in order', async () => {
    await stack.folder('backend');
    await stack.write('.env', 'A=1\n');
    await stack.write('prod.env', 'B=2\n');
    const file = await stack.write(
      'switchyard.yaml',
      yaml('tasks:', '  migrate: { command: python3 migrate.py, image: "shop/migrate:1.2" }', 'apps:', '  api:', '    command: node server.js', '    build: ./backend', '    env_file: [.env, prod.env]'),
    );
    const { spec, issues } = await loadStack(file, offline);
    expect(issues).toEqual([]);
    expect(spec?.apps[0]?.container).toEqual({ build: path.join(stack.dir, 'backend') });
    expect(spec?.apps[0]?.envFiles).toEqual([path.join(stack.dir, '.env'), path.join(stack.dir, 'prod.env')]);
    expect(spec?.tasks[0]?.container).toEqual({ image: 'shop/migrate:1.2' });
  });

  it('refuses both at once, a missing build folder and an image name with a space, each at its line and column', async () => {
    const file = await stack.write(
      'switchyard.yaml',
      yaml('apps:', '  api:', '    command: node server.js', '    image: shop/api', '    build: .', '  web:', '    command: node web.js', '    build: ./nowhere', 'tasks:', '  seed: { command: node seed.js, image: "shop seed" }'),
    );
    const { spec, issues } = await loadStack(file, offline);
    expect(spec).toBeNull();
    expect(issues.map((issue) => `${issue.line}:${issue.col} ${issue.message}`)).toEqual([
      `5:12 app 'api' gives both image and build; keep one: image: to run a published image, build: to build one from a folder`,
      `8:12 build './nowhere' of app 'web' does not exist (looked for ${path.join(stack.dir, 'nowhere')}); name the folder that holds its Dockerfile`,
      expect.stringMatching(/^10:41 .*image.*must be an image name without spaces/),
    ]);
  });

  it('changing only the image of a running app replaces no worker', async () => {
    const write = (image: string, script = 'server.js') => stack.write('switchyard.yaml', yaml('apps:', '  api:', `    command: node ${script}`, `    image: ${image}`));
    const before = (await loadStack(await write('shop/api:1'), offline)).spec;
    const after = (await loadStack(await write('shop/api:2'), offline)).spec;
    const commandChanged = (await loadStack(await write('shop/api:2', 'main.js'), offline)).spec;
    if (!before || !after || !commandChanged) throw new Error('stack file invalid');
    const change = planSpecChange(before, after);
    expect(change.replaced).toEqual([]);
    expect(change.changedInPlace).toEqual([]);
    // What the worker runs does replace it: the comparison above is not blind.
    expect(planSpecChange(before, commandChanged).replaced).toMatchObject([{ kind: 'app', spec: { name: 'api' } }]);
  });
});
