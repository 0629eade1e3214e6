// The packaged desktop app reads its code from resources/app.asar, but Switchyard's own processes
// (the proxy, the static servers, the watchdog) start from real files in app.asar.unpacked. Every
// module they load, and every package those modules import, must be unpacked beside them, or the
// process fails at its first import. This walks their import closure and checks it against
// electron-builder.yml.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REAP_MAIN, WATCHDOG_MAIN } from '../../main/core/host/watchdog.ts';
import { PROXY_MAIN } from '../../main/core/proxy/builtin-engine.ts';
import { STATIC_MAIN } from '../../main/core/static/static-app.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY_SCRIPTS = [PROXY_MAIN, STATIC_MAIN, WATCHDOG_MAIN, REAP_MAIN];

/** Static imports and re-exports; `import type` and `export type` are erased before anything loads. */
const STATIC_IMPORT = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\bfrom\s*)?['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The specifiers a module loads when it runs. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const [, typeOnly, specifier] of source.matchAll(STATIC_IMPORT)) if (!typeOnly && specifier) found.push(specifier);
  for (const [, specifier] of source.matchAll(DYNAMIC_IMPORT)) if (specifier) found.push(specifier);
  return found;
}

/** `undici` for `undici/types`, `@scope/name` for `@scope/name/sub`; null for Node's own modules. */
function packageName(specifier: string): string | null {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return null;
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** The folder Node finds package `name` in, looking up from `dir` as its resolver does. */
function packageDir(name: string, dir: string): string | null {
  for (let current = dir; ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(current) === current) return null;
  }
}

interface PackageJson {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Paths relative to the project, with forward slashes, as electron-builder's globs see them. */
function relative(file: string): string {
  return path.relative(ROOT, file).split(path.sep).join('/');
}

interface Closure {
  /** Project modules, relative. */
  files: Set<string>;
  /** Package folders, relative (`node_modules/undici`). */
  packages: Set<string>;
  /** Packages imported by project modules themselves, by name. */
  direct: Set<string>;
}

/** Everything the entry scripts load: their modules, followed through imports, and the packages they reach. */
function importClosure(entries: readonly string[]): Closure {
  const closure: Closure = { files: new Set(), packages: new Set(), direct: new Set() };
  const addPackage = (name: string, from: string): void => {
    const dir = packageDir(name, from);
    if (!dir) throw new Error(`package ${name}, needed from ${relative(from)}, is not installed`);
    const key = relative(dir);
    if (closure.packages.has(key)) return;
    closure.packages.add(key);
    const manifest = readPackageJson(dir);
    for (const dependency of Object.keys(manifest.dependencies ?? {})) addPackage(dependency, dir);
    // An optional dependency that was not installed is not loaded either.
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {})) if (packageDir(dependency, dir)) addPackage(dependency, dir);
  };
  const visit = (file: string): void => {
    if (!existsSync(file) || !statSync(file).isFile()) throw new Error(`${relative(file)} is imported but is not a file`);
    const key = relative(file);
    if (closure.files.has(key)) return;
    closure.files.add(key);
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) {
        visit(path.resolve(path.dirname(file), specifier));
        continue;
      }
      const name = packageName(specifier);
      if (name === null) continue;
      closure.direct.add(name);
      addPackage(name, path.dirname(file));
    }
  };
  for (const entry of entries) visit(entry);
  return closure;
}

/** Every file under `dir`, relative to the project. */
function filesUnder(dir: string, skip: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full, skip));
    else if (entry.isFile()) out.push(relative(full));
  }
  return out;
}

interface BuilderConfig {
  files: string[];
  asarUnpack: string[];
}

const config = parse(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
// electron-builder's globs match dotfiles too.
const unpacked = picomatch(config.asarUnpack, { dot: true });
const included = picomatch(config.files.filter((glob) => !glob.startsWith('!')), { dot: true });
const excluded = picomatch(
  config.files.filter((glob) => glob.startsWith('!')).map((glob) => glob.slice(1)),
  { dot: true },
);
/** Whether `files` packs a project file: some pattern includes it and no negated one takes it out. */
const packed = (file: string): boolean => included(file) && !excluded(file);

const closure = importClosure(ENTRY_SCRIPTS);

describe('the import closure of the child scripts', () => {
  it('reads what a module loads at run time, not what only its types need', () => {
    const source = [
      "import type { A } from './a.ts';",
      "import { type B, c } from './c.ts';",
      "import {\n  d,\n  e,\n} from 'd-package';",
      "export type { F } from './f.ts';",
      "export { g } from './g.ts';",
      "export * from '@scope/h/sub';",
      "import './side-effect.ts';",
      "const late = await import('./late.ts');",
      '// import { nothing } from "./comment.ts";',
    ].join('\n');
    expect(specifiers(source).sort()).toEqual(['./c.ts', './g.ts', './late.ts', './side-effect.ts', '@scope/h/sub', 'd-package'].sort());
    expect(packageName('@scope/h/sub')).toBe('@scope/h');
    expect(packageName('undici/types')).toBe('undici');
    expect(packageName('node:fs')).toBeNull();
    expect(packageName('fs')).toBeNull();
  });

  it('starts from the three entry scripts and reaches packages', () => {
    for (const entry of ENTRY_SCRIPTS) expect(closure.files).toContain(relative(entry));
    // The static server types files with mrmime and the watchdog kills trees with tree-kill: the walk must find both.
    expect(closure.packages).toContain('node_modules/mrmime');
    expect(closure.packages).toContain('node_modules/tree-kill');
    // The proxy forwards over its own HTTP/1.1 client (upstream-connection.ts): undici is the core's
    // alone (the load generator), packed in the archive, not unpacked beside the child scripts.
    expect(closure.packages).not.toContain('node_modules/undici');
  });
});

describe('electron-builder.yml', () => {
  it('unpacks every module the child scripts load', () => {
    expect([...closure.files].filter((file) => !unpacked(file))).toEqual([]);
  });

  it('unpacks every file of every package they load', () => {
    const missing = [...closure.packages].flatMap((dir) => filesUnder(path.join(ROOT, dir)).filter((file) => !unpacked(file)));
    expect(missing).toEqual([]);
  });

  it('packs every module they load', () => {
    expect([...closure.files].filter((file) => !packed(file))).toEqual([]);
  });

  it('packs the packages they load: production dependencies, nothing of them excluded', () => {
    // electron-builder copies the production dependency tree whatever `files` says, minus its negated patterns.
    const { dependencies = {} } = readPackageJson(ROOT);
    expect([...closure.direct].filter((name) => !(name in dependencies))).toEqual([]);
    const dropped = [...closure.packages].flatMap((dir) => filesUnder(path.join(ROOT, dir)).filter((file) => excluded(file)));
    expect(dropped).toEqual([]);
  });

  it('leaves out tests, benchmarks and the dashboard sources', () => {
    for (const file of ['test/core/stack.test.ts', 'test/fixtures/crash-now.js', 'bench/run.ts', 'renderer/src/main.tsx', 'main/core/stack.test.ts']) {
      expect(packed(file), file).toBe(false);
    }
    const project = filesUnder(ROOT, new Set(['node_modules', '.git', '.tsbuild', 'dist', 'test-results']));
    const unneeded = project.filter((file) => /^(test|bench|renderer\/src)\//.test(file) || /\.test\.tsx?$/.test(file));
    expect(unneeded.length).toBeGreaterThan(0);
    expect(unneeded.filter(packed)).toEqual([]);
  });

  it('packs what the app runs', () => {
    for (const file of ['package.json', 'main/core/stack.ts', 'shared/stack.ts', 'renderer/dist/index.html']) expect(packed(file), file).toBe(true);
  });
});
