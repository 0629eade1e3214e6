import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadStack } from '../../main/core/config/load.ts';
import { formatPlan } from '../../main/core/config/plan.ts';
import { SwitchyardError } from '../../main/core/errors.ts';
import {
  DEMO_TEMPLATE_DIR,
  createStackFromTemplate,
  forgetMissing,
  locateStackFile,
  rememberStack,
  type RecentStack,
} from '../../main/core/projects/projects.ts';
import { makeStackDir, yaml, type StackDir } from '../config/stack-dir.ts';

const dirs: StackDir[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => dir.remove()));
});

async function tempDir(): Promise<StackDir> {
  const dir = await makeStackDir();
  dirs.push(dir);
  return dir;
}

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('locateStackFile', () => {
  it('finds switchyard.yaml, or switchyard.yml, in a folder', async () => {
    const yamlDir = await tempDir();
    const file = await yamlDir.write('switchyard.yaml', 'apps: {}\n');
    expect(locateStackFile(yamlDir.dir)).toEqual({ ok: true, file });

    const ymlDir = await tempDir();
    const yml = await ymlDir.write('switchyard.yml', 'apps: {}\n');
    expect(locateStackFile(ymlDir.dir)).toEqual({ ok: true, file: yml });
  });

  it('takes a .yaml or .yml file as it is, resolved', async () => {
    const dir = await tempDir();
    const file = await dir.write('stacks/Shop.YML', 'apps: {}\n');
    expect(locateStackFile(file)).toEqual({ ok: true, file });
    const relative = path.relative(process.cwd(), file);
    expect(locateStackFile(relative)).toEqual({ ok: true, file });
  });

  it('says what is wrong with a folder without a stack file, and what to do', async () => {
    const dir = await tempDir();
    await dir.write('README.md', 'not a stack\n');
    expect(locateStackFile(dir.dir)).toEqual({
      ok: false,
      problem: `${dir.dir} has no switchyard.yaml; choose the folder that holds it, or create one with File > New Stack from Demo`,
    });
  });

  it('refuses a file that is not YAML', async () => {
    const dir = await tempDir();
    const file = await dir.write('package.json', '{}\n');
    const result = locateStackFile(file);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toBe(`${file} is not a stack file (a .yaml or .yml file); choose switchyard.yaml or the folder that holds it`);
  });

  it('says so when the path does not exist', async () => {
    const dir = await tempDir();
    const missing = path.join(dir.dir, 'gone', 'switchyard.yaml');
    const result = locateStackFile(missing);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(new RegExp(`^${escape(missing)} does not exist`));
  });
});

describe('recent stacks', () => {
  const entry = (file: string, openedAt: number, name = path.basename(path.dirname(file))): RecentStack => ({ file, name, openedAt });

  it('puts the opened stack first and moves an older entry for it', () => {
    let list: RecentStack[] = [];
    list = rememberStack(list, entry('/p/a/switchyard.yaml', 1), 10, 'linux');
    list = rememberStack(list, entry('/p/b/switchyard.yaml', 2), 10, 'linux');
    list = rememberStack(list, entry('/p/c/switchyard.yaml', 3), 10, 'linux');
    list = rememberStack(list, entry('/p/a/../a/switchyard.yaml', 4, 'renamed'), 10, 'linux');
    expect(list).toEqual([entry('/p/a/switchyard.yaml', 4, 'renamed'), entry('/p/c/switchyard.yaml', 3), entry('/p/b/switchyard.yaml', 2)]);
  });

  it('keeps at most max entries, dropping the oldest', () => {
    let list: RecentStack[] = [];
    for (let i = 1; i <= 5; i++) list = rememberStack(list, entry(`/p/s${i}/switchyard.yaml`, i), 3, 'linux');
    expect(list.map((item) => item.openedAt)).toEqual([5, 4, 3]);
  });

  it('compares paths without case on Windows and macOS, with case on Linux', () => {
    const mac = rememberStack([entry('/Users/ada/Shop/switchyard.yaml', 1)], entry('/users/ada/shop/switchyard.yaml', 2), 10, 'darwin');
    expect(mac).toEqual([entry('/users/ada/shop/switchyard.yaml', 2)]);
    const windows = rememberStack([entry('C:\\Code\\Shop\\switchyard.yaml', 1)], entry('c:\\code\\shop\\.\\switchyard.yaml', 2, 'Shop'), 10, 'win32');
    expect(windows).toEqual([entry('c:\\code\\shop\\switchyard.yaml', 2, 'Shop')]);
    const linux = rememberStack([entry('/home/ada/Shop/switchyard.yaml', 1)], entry('/home/ada/shop/switchyard.yaml', 2), 10, 'linux');
    expect(linux.map((item) => item.file)).toEqual(['/home/ada/shop/switchyard.yaml', '/home/ada/Shop/switchyard.yaml']);
  });

  it('leaves the given list as it was', () => {
    const list = Object.freeze([entry('/p/a/switchyard.yaml', 1)]);
    rememberStack(list, entry('/p/b/switchyard.yaml', 2), 10, 'linux');
    expect(list).toEqual([entry('/p/a/switchyard.yaml', 1)]);
  });

  it('forgets stacks whose file is gone', async () => {
    const dir = await tempDir();
    const kept = await dir.write('kept/switchyard.yaml', 'apps: {}\n');
    const list = [entry(kept, 2), entry(path.join(dir.dir, 'gone/switchyard.yaml'), 1)];
    expect(forgetMissing(list)).toEqual([entry(kept, 2)]);
    expect(forgetMissing(list, (file) => file.includes('gone'))).toEqual([list[1]]);
  });
});

describe('createStackFromTemplate', () => {
  it('copies the demo into a new folder under the folder name, and the loader accepts it', async () => {
    const parent = await tempDir();
    const target = path.join(parent.dir, 'My Shop');
    const file = await createStackFromTemplate({ templateDir: DEMO_TEMPLATE_DIR, targetDir: target });
    expect(file).toBe(path.join(target, 'switchyard.yaml'));
    // Run state, dotfiles and node_modules stay behind.
    expect(listFiles(target)).toEqual(listFiles(DEMO_TEMPLATE_DIR).filter((f) => !f.split(path.sep).some((part) => part.startsWith('.') || part === 'node_modules')));
    expect(listFiles(target)).toEqual(expect.arrayContaining(['switchyard.yaml', path.join('backend', 'server.js'), path.join('web', 'index.html')]));

    const { spec, issues } = await loadStack(file, { checkPorts: false });
    expect(issues.filter((issue) => issue.severity === 'error')).toEqual([]);
    expect(spec?.name).toBe('my-shop');
    expect(spec?.dir).toBe(target);
    expect(formatPlan(spec!)).toContain('api');

    // Only the name line changed: every comment and setting survives.
    const before = (await readFile(path.join(DEMO_TEMPLATE_DIR, 'switchyard.yaml'), 'utf8')).split('\n');
    const after = (await readFile(file, 'utf8')).split('\n');
    expect(after.length).toBe(before.length);
    expect(after.filter((line, i) => line !== before[i])).toEqual(['name: my-shop']);
  });

  it('uses the given name, quoted when YAML needs it', async () => {
    const parent = await tempDir();
    const file = await createStackFromTemplate({ templateDir: DEMO_TEMPLATE_DIR, targetDir: path.join(parent.dir, 'x'), name: '2024: shop' });
    const { spec } = await loadStack(file, { checkPorts: false });
    expect(spec?.name).toBe('2024: shop');
  });

  it('adds a name to a template without one, and copies into an existing folder with other files', async () => {
    const template = await tempDir();
    await template.write('switchyard.yml', yaml('# a comment', 'apps:', '  jobs:', '    command: node jobs.js', '    port_env: none'));
    await template.write('jobs.js', 'setInterval(() => {}, 1000);\n');
    await template.write('.env', 'SECRET=1\n');
    await template.write('.switchyard/run.json', '{}\n');
    await template.write('node_modules/x/index.js', '\n');
    const target = await tempDir();
    await target.write('notes.txt', 'mine\n');

    const file = await createStackFromTemplate({ templateDir: template.dir, targetDir: target.dir, name: 'jobs' });
    expect(file).toBe(path.join(target.dir, 'switchyard.yml'));
    expect(await readFile(file, 'utf8')).toBe(yaml('# a comment', 'name: jobs', 'apps:', '  jobs:', '    command: node jobs.js', '    port_env: none'));
    expect(listFiles(target.dir)).toEqual(['jobs.js', 'notes.txt', 'switchyard.yml']);
    expect((await loadStack(file, { checkPorts: false })).spec?.name).toBe('jobs');
  });

  it('refuses a folder that already holds a stack, writing nothing', async () => {
    for (const existing of ['switchyard.yaml', 'switchyard.yml']) {
      const target = await tempDir();
      await target.write(existing, 'name: mine\n');
      const error = await refusal(createStackFromTemplate({ templateDir: DEMO_TEMPLATE_DIR, targetDir: target.dir }));
      expect(error.code).toBe('bad-request');
      expect(error.message).toBe(`${target.dir} already holds a stack (${path.join(target.dir, existing)}); open it with File > Open, or choose an empty folder`);
      expect(listFiles(target.dir)).toEqual([existing]);
      expect(await readFile(path.join(target.dir, existing), 'utf8')).toBe('name: mine\n');
    }
  });

  it('refuses to overwrite any file, writing nothing', async () => {
    const target = await tempDir();
    await target.write('web/index.html', '<p>mine</p>\n');
    const error = await refusal(createStackFromTemplate({ templateDir: DEMO_TEMPLATE_DIR, targetDir: target.dir }));
    expect(error.code).toBe('bad-request');
    expect(error.message).toBe(`${target.dir} already has ${path.join('web', 'index.html')}, which the new stack would overwrite; choose an empty folder`);
    expect(listFiles(target.dir)).toEqual([path.join('web', 'index.html')]);
    expect(await readFile(path.join(target.dir, 'web/index.html'), 'utf8')).toBe('<p>mine</p>\n');
  });

  it('refuses a template without a stack file, creating no folder', async () => {
    const template = await tempDir();
    const parent = await tempDir();
    const target = path.join(parent.dir, 'new');
    const error = await refusal(createStackFromTemplate({ templateDir: template.dir, targetDir: target }));
    expect(error.code).toBe('internal');
    expect(existsSync(target)).toBe(false);
  });
});

async function refusal(promise: Promise<unknown>): Promise<SwitchyardError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SwitchyardError);
  return error as SwitchyardError;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
