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
// Caches compiled (and type-stripped) code between runs: `switchyard ps` starts in half the time.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
