import { defineConfig } from 'vitest/config';

// Tests spawn real processes and bind real sockets; two cores means two test files at a time.
// The dashboard's tests run in Node too; a component test asks for jsdom in its first line.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'renderer/src/**/*.test.ts', 'renderer/src/**/*.test.tsx'],
    environment: 'node',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
