// `switchyard reload` when the new worker does not come up (issue 14): exit 1 with the worker's name
// and its last stderr lines, and the old worker still serving, as nginx keeps its old configuration.
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, psJson, stackDir, startUp } from '../helpers/cli.ts';
import { FIXTURES } from '../helpers/specs.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('switchyard reload', () => {
  it('exits 1 naming the worker and its stderr when the replacement crashes; the old worker keeps serving', { timeout: 60_000 }, async () => {
    const yaml = ['name: legacy', 'apps:', '  legacy:', `    command: [${JSON.stringify(process.execPath)}, app.js]`, '    health: { path: /healthz, interval: 200ms, timeout: 2s }', ''].join('\n');
    const { dir, cleanup } = stackDir(yaml);
    const app = path.join(dir, 'app.js');
    writeFileSync(app, `import { serve } from ${JSON.stringify(path.join(FIXTURES, 'lib', 'serve.js'))};\nserve();\n`);
    const up = startUp(dir);
    cleanups.push(cleanup, async () => {
      up.child.kill('SIGKILL');
      await up.child;
    });
    await up.waitForOutput('all 1 ready');
    const [before] = await psJson(dir);

    writeFileSync(app, "console.error('ImportError: cannot import name settings');\nprocess.exitCode = 1;\n");
    const reload = await runCli(['reload', 'legacy'], dir);
    expect(reload.exitCode).toBe(1);
    expect(reload.stdout).toBe('');
    expect(reload.stderr).toMatch(/^switchyard: reload of legacy stopped at legacy-1: its replacement crashed \(exit code 1\); the old worker keeps serving\./);
    expect(reload.stderr).toContain("legacy-1's last stderr lines:\n  ImportError: cannot import name settings");

    const [after] = await psJson(dir);
    expect(after).toMatchObject({ id: before!.id, name: 'legacy-1', state: 'ready', role: 'member', pid: before!.pid });

    expect((await runCli(['down'], dir)).exitCode).toBe(0);
    await up.child;
  });
});
