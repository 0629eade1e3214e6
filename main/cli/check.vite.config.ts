// Bundles `switchyard check`, packages included, into dist/cli/check.cjs (prebuilt.ts says why), with
// the list of files it was built from. What main.ts must recognise by identity (the error classes it
// tells apart with instanceof) and what check loads only while a stack runs stay outside, imported
// from their sources.
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { CHECK_BUNDLE, CHECK_INPUTS, inputFiles, PREBUILT_DIR, stampOf } from './prebuilt.ts';

const OUTSIDE = new Set(
  ['cli-error.ts', '../core/errors.ts', '../core/host/running-instance.ts', '../core/control/control-client.ts'].map((file) => path.join(import.meta.dirname, file)),
);

function prebuiltCheck(): Plugin {
  let outDir = PREBUILT_DIR;
  return {
    name: 'prebuilt-check',
    enforce: 'pre',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async resolveId(source, importer) {
      const resolved = await this.resolve(source, importer, { skipSelf: true });
      // vite's ids have forward slashes on Windows too.
      if (!resolved || !OUTSIDE.has(path.normalize(resolved.id))) return null;
      return { id: path.relative(outDir, resolved.id).split(path.sep).join('/'), external: true };
    },
    // The list is written last, and renamed into place, so a CLI started mid-build finds none and runs from source.
    writeBundle(_options, bundle) {
      const chunk = bundle[CHECK_BUNDLE];
      if (chunk?.type !== 'chunk') throw new Error(`${CHECK_BUNDLE} was not built`);
      const files = [path.join(outDir, CHECK_BUNDLE), ...inputFiles(chunk.moduleIds)];
      const list = path.join(outDir, CHECK_INPUTS);
      writeFileSync(`${list}.tmp`, JSON.stringify(files.map((file) => stampOf(outDir, file))));
      renameSync(`${list}.tmp`, list);
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  logLevel: 'warn',
  plugins: [prebuiltCheck()],
  build: {
    ssr: 'commands/check.ts',
    outDir: PREBUILT_DIR,
    emptyOutDir: true,
    sourcemap: false,
    target: 'node22',
    rollupOptions: {
      output: {
        entryFileNames: CHECK_BUNDLE,
        // CommonJS, so Node's modules come in by require: an ES import of node:fs or node:util reads
        // every export, loading what their lazy getters hold (fs.promises' readline, util's workers).
        format: 'cjs',
        // A third fewer bytes to read and compile; names are kept, so an unexpected error's stack reads.
        minify: { compress: true, mangle: false, codegen: { removeWhitespace: true } },
      },
    },
  },
  ssr: { noExternal: true, target: 'node' },
});
