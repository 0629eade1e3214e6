// The preload runs in a sandboxed renderer, which loads one CommonJS file and can require only
// `electron`: build preload.ts (and the constants it takes from shared/) into dist/electron/preload.cjs.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  build: {
    outDir: '../../dist/electron',
    emptyOutDir: true,
    minify: false,
    sourcemap: false,
    target: 'chrome130',
    lib: { entry: 'preload.ts', formats: ['cjs'], fileName: () => 'preload.cjs' },
    rollupOptions: { external: ['electron'] },
  },
});
