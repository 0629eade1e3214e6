#!/usr/bin/env node
// Launcher: the CLI is TypeScript run by Node's built-in type stripping (Node 22.18 and later).
// npm scripts and `npx switchyard` put the project's pinned Node first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `switchyard: needs Node.js 22.18 or later, this is ${process.version}.\n` +
      'Run it through npm so the pinned Node is used: `npx switchyard …` or `npm start`.',
  );
  process.exit(2);
}
// `up` lives for hours and is mostly idle: a young generation of 1 MiB (V8's default grows to 16)
// keeps it about 13 MiB smaller at rest. The flag must be there when V8 starts, so the process
// replaces itself with one that has it (same pid, same terminal; POSIX only, Node 22.15+).
const RESPAWNED = 'SWITCHYARD_LEAN_HEAP';
if (process.env[RESPAWNED] === '1') delete process.env[RESPAWNED];
else if (process.argv[2] === 'up' && typeof process.execve === 'function' && process.platform !== 'win32') {
  const script = new URL(import.meta.url).pathname;
  process.execve(process.execPath, [process.execPath, '--max-semi-space-size=1', ...process.execArgv, script, ...process.argv.slice(2)], { ...process.env, [RESPAWNED]: '1' });
}
// Caches compiled (and type-stripped) code between runs: `switchyard ps` starts in half the time.
process.getBuiltinModule('node:module').enableCompileCache();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
