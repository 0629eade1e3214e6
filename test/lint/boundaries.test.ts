// The import rules are part of the architecture; prove that lint really enforces them.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function ruleMessages(rule: string, filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === rule).map((m) => m.message);
}

/** Every file `entry` loads, following relative imports (and re-exports) transitively; paths from the root. */
function importClosure(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [path.join(root, entry)];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^'"]*?\bfrom\s+'(\.[^']+)'/gm)) {
      pending.push(path.resolve(path.dirname(file), specifier as string));
    }
  }
  return [...seen].map((file) => path.relative(root, file).split(path.sep).join('/'));
}

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('import boundaries', () => {
  it('shared/ imports nothing but its own files', async () => {
    expect(await restrictedImports('shared/x.ts', "import { z } from 'zod';\nexport const a = z;\n")).toHaveLength(1);
    expect(await restrictedImports('shared/x.ts', "import type { A } from '../main/core/stack.ts';\nexport type B = A;\n")).toHaveLength(1);
    expect(await restrictedImports('shared/x.ts', "import type { ProcessInfo } from './process.ts';\nexport type B = ProcessInfo;\n")).toEqual([]);
  });

  it('main/core/ never imports electron, the shell, the CLI or the renderer', async () => {
    const electron = await restrictedImports('main/core/x.ts', "import { app } from 'electron';\nexport const a = app;\n");
    expect(electron).toHaveLength(1);
    expect(electron[0]).toMatch(/Only main\/electron\/ may import electron\./);
    expect(await restrictedImports('main/core/x.ts', "import { main } from '../cli/main.ts';\nexport const a = main;\n")).toHaveLength(1);
    expect(await restrictedImports('main/core/x.ts', "import { readFile } from 'node:fs';\nexport const a = readFile;\n")).toEqual([]);
  });

  it('renderer/ imports neither Node nor the core', async () => {
    expect(await restrictedImports('renderer/src/x.ts', "import { readFile } from 'node:fs';\nexport const a = readFile;\n")).toHaveLength(1);
    expect(await restrictedImports('renderer/src/x.ts', "import { Stack } from '../../main/core/stack.ts';\nexport const a = Stack;\n")).toHaveLength(1);
    expect(await restrictedImports('renderer/src/x.ts', "import type { ProcessInfo } from '../../shared/process.ts';\nexport type A = ProcessInfo;\n")).toEqual([]);
  });

  it('only main/electron/ may import electron', async () => {
    expect(await restrictedImports('main/cli/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toHaveLength(1);
    expect(await restrictedImports('main/electron/x.ts', "import { app } from 'electron';\nexport const a = app;\n")).toEqual([]);
  });

  it('the process layer imports neither the control API, the host, the pools nor the Stack', async () => {
    const message = /The process layer imports neither/;
    expect(await restrictedImports('main/core/process/x.ts', "import { runFilePath } from '../host/run-file.ts';\nexport const a = runFilePath;\n")).toEqual([expect.stringMatching(message)]);
    expect(await restrictedImports('main/core/process/x.ts', "import { ControlHub } from '../control/control-api.ts';\nexport const a = ControlHub;\n")).toHaveLength(1);
    expect(await restrictedImports('main/core/process/x.ts', "import { Stack } from '../stack.ts';\nexport const a = Stack;\n")).toHaveLength(1);
    expect(await restrictedImports('main/core/process/x.ts', "import type { AppSpec } from '../../../shared/stack.ts';\nexport type A = AppSpec;\n")).toEqual([]);
  });

  it('refuses an import cycle', async () => {
    // stack.ts imports the pools, which import worker-names.ts: importing the Stack back closes a cycle.
    const cycle = "import { Stack } from '../stack.ts';\nexport const a = Stack;\n";
    expect(await ruleMessages('import-x/no-cycle', 'main/core/pools/worker-names.ts', cycle)).toEqual([expect.stringMatching(/^Dependency cycle/)]);
    expect(await ruleMessages('import-x/no-cycle', 'main/core/pools/worker-names.ts', "import { EventEmitter } from 'node:events';\nexport const a = EventEmitter;\n")).toEqual([]);
  });

  it('the proxy process loads no config code, directly or through what it imports', async () => {
    const config = await restrictedImports('main/core/proxy/builtin/x.ts', "import { parseListen } from '../../config/listen.ts';\nexport const a = parseListen;\n");
    expect(config).toHaveLength(1);
    expect(config[0]).toMatch(/does not load config code/);
    expect(await restrictedImports('main/core/proxy/builtin/x.ts', "import { describeListenFailure } from '../listen-failure.ts';\nexport const a = describeListenFailure;\n")).toEqual([]);
    const loaded = importClosure('main/core/proxy/builtin/proxy-main.ts');
    expect(loaded).toContain('main/core/proxy/builtin/proxy-server.ts');
    expect(loaded.filter((file) => file.startsWith('main/core/config/'))).toEqual([]);
  });
});
