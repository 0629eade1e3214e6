// The import rules are part of the architecture; prove that lint really enforces them.
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function ruleMessages(rule: string, filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === rule).map((m) => m.message);
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
});
