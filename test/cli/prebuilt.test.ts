// The bundled check command (main/cli/prebuilt.ts): used only while every file it was built from is as
// it was, and saying the same as the sources it was built from.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { build } from 'vite';
import { CHECK_BUNDLE, CHECK_INPUTS, importCheck, inputFiles, isCurrent, stampOf, type FileStamp } from '../../main/cli/prebuilt.ts';
import { stackDir } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('the list of files a bundle was built from', () => {
  it('names a package by its package.json and a source by itself, and skips a bundler helper', () => {
    const modules = path.join('/repo', 'node_modules');
    const ids = [
      path.join(modules, 'zod', 'v4', 'core', 'core.js'),
      path.join(modules, 'zod', 'v4', 'mini', 'schemas.js'),
      path.join(modules, '@scope', 'pkg', 'dist', 'index.js'),
      path.join(modules, 'which', 'node_modules', 'isexe', 'index.js'),
      path.join('/repo', 'main', 'core', 'config', 'load.ts'),
      '\0rolldown/runtime.js',
    ];
    expect(inputFiles(ids)).toEqual(
      [
        path.join(modules, '@scope', 'pkg', 'package.json'),
        path.join(modules, 'which', 'node_modules', 'isexe', 'package.json'),
        path.join(modules, 'zod', 'package.json'),
        path.join('/repo', 'main', 'core', 'config', 'load.ts'),
      ].sort(),
    );
  });

  it('is current until a file on it changes size or time, goes, or the list itself is missing or broken', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-prebuilt-'));
    try {
      const source = path.join(dir, 'source.ts');
      const list = path.join(dir, 'inputs.json');
      const writeList = () => writeFileSync(list, JSON.stringify([stampOf(dir, source)]));
      writeFileSync(source, 'one');
      expect(isCurrent(list)).toBe(false);
      writeList();
      expect(isCurrent(list)).toBe(true);
      writeFileSync(source, 'three');
      expect(isCurrent(list)).toBe(false);
      writeList();
      const [, , mtimeMs] = JSON.parse(readFileSync(list, 'utf8'))[0] as FileStamp;
      utimesSync(source, new Date(), new Date(mtimeMs + 5_000));
      expect(isCurrent(list)).toBe(false);
      rmSync(source);
      expect(isCurrent(list)).toBe(false);
      writeFileSync(list, '{"not": "a list"');
      expect(isCurrent(list)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the check command the CLI runs', () => {
  it('is the bundle while it is current and the source once a file it was built from changed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sy-prebuilt-'));
    try {
      const input = path.join(dir, 'input.ts');
      writeFileSync(input, 'export {};');
      writeFileSync(path.join(dir, CHECK_BUNDLE), 'exports.check = () => "bundled";\n');
      writeFileSync(path.join(dir, CHECK_INPUTS), JSON.stringify([stampOf(dir, path.join(dir, CHECK_BUNDLE)), stampOf(dir, input)]));
      const source = await import('../../main/cli/commands/check.ts');
      expect((await importCheck(dir)).check).not.toBe(source.check);
      writeFileSync(input, 'export const edited = true;');
      expect((await importCheck(dir)).check).toBe(source.check);
      expect((await importCheck(path.join(dir, 'never-built'))).check).toBe(source.check);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a real build', () => {
  let outDir = '';
  beforeAll(async () => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'sy-prebuilt-build-'));
    await build({ configFile: path.join(ROOT, 'main/cli/check.vite.config.ts'), build: { outDir }, logLevel: 'silent' });
  }, 120_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('lists the bundle, the config sources and the packages it holds', () => {
    const listed = (JSON.parse(readFileSync(path.join(outDir, CHECK_INPUTS), 'utf8')) as FileStamp[]).map(([file]) => path.resolve(outDir, file));
    expect(listed).toContain(path.join(outDir, CHECK_BUNDLE));
    expect(listed).toContain(path.join(ROOT, 'main/core/config/load.ts'));
    expect(listed.some((file) => file.endsWith(path.join('node_modules', 'yaml', 'package.json')))).toBe(true);
    expect(isCurrent(path.join(outDir, CHECK_INPUTS))).toBe(true);
  });

  it('says what the sources say, with the same exit code, loading only the bundle and the CLI around it', async () => {
    const valid = stackDir('name: shop\nstatic:\n  web: { root: ./web }\napps:\n  api: { command: node server.js, replicas: 2 }\n');
    const invalid = stackDir('apps:\n  api:\n    command: node server.js\n    replica: 2\n    balance: roundrobin\n');
    const missing = stackDir('');
    rmSync(path.join(missing.dir, 'switchyard.yaml'));
    mkdirSync(path.join(valid.dir, 'web'));
    try {
      for (const dir of [valid.dir, invalid.dir, missing.dir]) {
        const bundled = await runCheck(dir, outDir);
        const fromSource = await runCheck(dir, path.join(outDir, 'never-built'));
        expect(bundled.stdout).toBe(fromSource.stdout);
        expect(bundled.stderr).toBe(fromSource.stderr);
        expect(bundled.exitCode).toBe(fromSource.exitCode);
        expect(bundled.loaded).toContain(path.join(outDir, CHECK_BUNDLE));
        expect(bundled.loaded.filter((file) => file.includes(`${path.sep}config${path.sep}`) || file.includes('node_modules'))).toEqual([]);
        expect(fromSource.loaded).toContain(path.join(ROOT, 'main/core/config/load.ts'));
      }
      expect((await runCheck(invalid.dir, outDir)).exitCode).toBe(2);
    } finally {
      for (const stack of [valid, invalid, missing]) stack.cleanup();
    }
  }, 60_000);
});

/** `check` run through main.ts in a child process with `prebuiltDir`, and the files that process loaded. */
async function runCheck(cwd: string, prebuiltDir: string) {
  const script = [
    "import { registerHooks } from 'node:module';",
    "import { fileURLToPath } from 'node:url';",
    'const loaded = [];',
    "registerHooks({ load(url, context, next) { if (url.startsWith('file:')) loaded.push(fileURLToPath(url)); return next(url, context); } });",
    `const { main } = await import(${JSON.stringify(new URL('../../main/cli/main.ts', import.meta.url).href)});`,
    `process.exitCode = await main(['check'], process.cwd(), ${JSON.stringify(prebuiltDir)});`,
    "process.on('exit', () => process.stderr.write(`\\nloaded: ${JSON.stringify(loaded)}`));",
  ].join('\n');
  const result = await execa(process.execPath, ['--input-type=module', '-e', script], { cwd, env: { NO_COLOR: '1' }, reject: false, timeout: 30_000 });
  const [stderr = '', loaded = '[]'] = String(result.stderr).split('\nloaded: ');
  return { stdout: String(result.stdout), stderr, exitCode: result.exitCode, loaded: JSON.parse(loaded) as string[] };
}
