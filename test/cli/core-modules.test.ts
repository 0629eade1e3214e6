// What `switchyard up` loads into the core: the builtin proxy's HTTP client (undici, about 110
// modules and 60 ms at each start, and memory held all day) belongs to the proxy process only.

import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every module URL loaded by importing `entries` in a fresh Node process. */
function modulesLoadedBy(entries: string[]): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = [];
    registerHooks({ load(url, context, next) { seen.push(url); return next(url, context); } });
    for (const entry of ${JSON.stringify(entries.map((entry) => path.join(ROOT, entry)))}) await import(entry);
    process.stdout.write(JSON.stringify(seen));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[];
}

describe("the core's modules", () => {
  it('load up, the stack host and both proxy engines without the HTTP client of the proxy process', () => {
    const loaded = modulesLoadedBy(['main/cli/main.ts', 'main/cli/commands/up.ts', 'main/core/host/stack-host.ts', 'main/core/proxy/engines.ts']);
    expect(loaded.some((url) => url.endsWith('/main/core/proxy/nginx/nginx-upstreams.ts'))).toBe(true);
    expect(loaded.filter((url) => url.includes('/node_modules/undici/'))).toEqual([]);
  });
});
