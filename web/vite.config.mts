import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Built into dist/web (served by the API under /app); tests build into their own folder (CONSOLE_OUT_DIR). */
export default defineConfig({
  root: import.meta.dirname,
  base: '/app/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: process.env.CONSOLE_OUT_DIR ?? resolve(import.meta.dirname, '..', 'dist', 'web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline module-preload polyfill or data: scripts: the CSP allows scripts from our origin only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
