// The dashboard builds into renderer/dist with relative asset URLs, so the core's control server
// (or the desktop shell, from a file:// URL) can serve it from any path.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 700,
  },
});
