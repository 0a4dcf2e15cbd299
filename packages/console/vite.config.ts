/**
 * Builds the console (app/) into bundle/ for the api to serve under /console/ (see src/index.ts). The built
 * index.html loads one hashed script and stylesheets from /console/assets/ and nothing inline, so the strict
 * Content-Security-Policy (`script-src 'self'; style-src 'self'`) holds: no module-preload polyfill (it would be
 * injected), no assets inlined as data: URLs. `npm run dev -w @bulwark/console` serves app/ with /v1 proxied to a
 * running Bulwark (BULWARK_URL, default http://127.0.0.1:8080).
 *
 * BULWARK_DEV_TOKEN (dev and preview servers only, never the build): the proxy sends it as a bearer token and answers
 * /v1/session itself, for working on the console against a Bulwark without session routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type ProxyOptions } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const target = process.env.BULWARK_URL ?? 'http://127.0.0.1:8080';
const devToken = process.env.BULWARK_DEV_TOKEN;

const api: ProxyOptions = {
  target,
  ...(devToken ? { configure: (proxy) => proxy.on('proxyReq', (req) => req.setHeader('authorization', `Bearer ${devToken}`)) } : {}),
};

function devSession(): Plugin {
  const answer = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (!devToken || req.url?.split('?')[0] !== '/v1/session') return next();
    if (req.method === 'DELETE') return void res.writeHead(204).end();
    const body = { token_id: 'dev', name: 'dev (BULWARK_DEV_TOKEN)', scopes: ['admin'], csrf_token: 'dev', expires_at: new Date(Date.now() + 3_600_000).toISOString() };
    res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  return {
    name: 'bulwark-dev-session',
    configureServer: (server) => void server.middlewares.use(answer),
    configurePreviewServer: (server) => void server.middlewares.use(answer),
  };
}

export default defineConfig({
  root: here('./app'),
  base: '/console/',
  publicDir: false,
  plugins: [devSession()],
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
