/**
 * Builds the console (app/) into bundle/ for the api to serve under /console/ (see src/index.ts). The built
 * index.html loads one hashed script and stylesheets from /console/assets/ and nothing inline, so the strict
 * Content-Security-Policy (`script-src 'self'; style-src 'self'`) holds: no module-preload polyfill (it would be
 * injected), no assets inlined as data: URLs. `npm run dev -w @bulwark/console` serves app/ with /v1 proxied to a
 * running Bulwark (BULWARK_URL, default http://127.0.0.1:8080).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const api = process.env.BULWARK_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: here('./app'),
  base: '/console/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('./bundle'),
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { '/v1': api } },
  preview: { proxy: { '/v1': api } },
});
