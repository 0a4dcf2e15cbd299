/**
 * Serves the console's static bundle (built by Vite into `@bulwark/console`'s `bundle/`) at `/console/`, same origin as
 * the API so the session cookie and CSRF checks apply (docs/ARCHITECTURE.md, "Console sessions"):
 * - every console response carries a strict Content-Security-Policy (no inline script or style anywhere), nosniff and
 *   no referrer;
 * - hashed `/console/assets/*` are cached for a year (their name changes with their content), everything else,
 *   `index.html` first, is revalidated on every load so a new build shows at once;
 * - a `GET /console/*` that is no file answers `index.html`: the console routes on the client, and a reload or a
 *   shared link of `/console/alerts/…` must open that page;
 * - `GET /` from a browser (Accept prefers text/html) is sent to `/console/`; any other `GET /` — the Elasticsearch
 *   probe of shippers, curl — goes on to the routers after this one unchanged.
 * The bundle directory is injectable (tests); by default it comes from `@bulwark/console`. Without a built bundle the
 * console answers 503 BWK_CONSOLE_NOT_BUILT and everything else works.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import { BulwarkError } from '@bulwark/schema';

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export interface ConsoleRouterOptions {
  /**
   * The built bundle (holding `index.html` and `assets/`); `undefined`: `@bulwark/console`'s, resolved at the first
   * console request; `null`: none (the console answers 503).
   */
  bundleDir?: string | null;
}

/** The bundle directory `@bulwark/console` exports (`CONSOLE_BUNDLE_DIR`), or null when that package is not installed. */
export async function defaultBundleDir(): Promise<string | null> {
  // A name in a variable: the console package is optional to this one (built by its own workspace).
  const name = '@bulwark/console';
  try {
    const mod = (await import(name)) as { CONSOLE_BUNDLE_DIR?: unknown };
    return typeof mod.CONSOLE_BUNDLE_DIR === 'string' ? mod.CONSOLE_BUNDLE_DIR : null;
  } catch {
    return null;
  }
}

const consoleHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONSOLE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
};

/** A router to mount before every other (before the collector's `GET /` in the all-in-one app). */
export function consoleRouter(options: ConsoleRouterOptions = {}): Router {
  let resolved: Promise<string | null> | null = options.bundleDir !== undefined ? Promise.resolve(options.bundleDir) : null;
  const bundle = async (): Promise<string> => {
    resolved ??= defaultBundleDir();
    const dir = await resolved;
    if (dir === null || !existsSync(join(dir, 'index.html'))) {
      // Not cached as missing: a `npm run build` while the server runs makes the console appear.
      if (options.bundleDir === undefined) resolved = null;
      throw new BulwarkError('BWK_CONSOLE_NOT_BUILT', 'the console bundle is not built: run `npm run build` (npm install does it), then reload', {
        bundle_dir: dir,
      });
    }
    return dir;
  };
  const servers = new Map<string, RequestHandler>();
  const staticFrom = (dir: string): RequestHandler => {
    let server = servers.get(dir);
    if (!server) {
      server = express.static(dir, {
        index: false,
        redirect: false,
        fallthrough: true,
        dotfiles: 'ignore',
        etag: true,
        setHeaders: (res, path) => res.setHeader('Cache-Control', path.startsWith(join(dir, 'assets')) ? IMMUTABLE : REVALIDATE),
      });
      servers.set(dir, server);
    }
    return server;
  };

  const router = Router();
  router.get('/', (req, res, next) => {
    res.vary('Accept');
    if (req.accepts(['application/json', 'text/html']) === 'text/html') return res.redirect(302, '/console/');
    next();
  });
  router.get('/console{/*path}', consoleHeaders, async (req, res, next) => {
    const original = req.url;
    if (req.path === '/console') return res.redirect(301, `/console/${original.slice('/console'.length)}`);
    const dir = await bundle();
    // express.static resolves the path under `dir` and refuses traversal; a file it finds is answered there.
    req.url = original.slice('/console'.length);
    staticFrom(dir)(req, res, () => {
      const path = req.path;
      req.url = original;
      // A missing hashed asset is a stale page asking for an old build: 404, not the page (a script answered with
      // HTML fails confusingly).
      if (path.startsWith('/assets/')) return next();
      res.setHeader('Cache-Control', REVALIDATE);
      res.sendFile('index.html', { root: dir }, (err) => err && next(err));
    });
  });
  return router;
}
