import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests spawn real processes and bind real sockets; two cores means two test files at a time.
// The dashboard's tests run in Node too; a component test asks for jsdom in its first line.
export default defineConfig({
  // The Electron binary cannot run here: the shell's tests get the one fake of its module. electron-store
  // imports electron too, so it is inlined to see the same fake.
  resolve: { alias: { electron: fileURLToPath(new URL('./test/fakes/electron.ts', import.meta.url)) } },
  test: {
    server: { deps: { inline: ['electron-store'] } },
    environment: 'node',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        // A fresh process per file costs about 2 s on a busy machine; these files share one per
        // worker. Their state is the processes and sockets they start and stop themselves, the
        // electron fake (reset before each test that uses it) and process.env (restored after).
        test: { name: 'node', include: ['test/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        // Module mocks (uplot) and jsdom globals must not reach another file: one process each.
        test: { name: 'renderer', include: ['renderer/src/**/*.test.ts', 'renderer/src/**/*.test.tsx'] },
      },
    ],
  },
});
