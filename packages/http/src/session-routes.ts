/**
 * `POST/GET/DELETE /v1/session`: signing in to the console with a token, reading the session back after a page reload
 * (its CSRF token lives only in the page's memory), and signing out (docs/ARCHITECTURE.md, "Console sessions").
 */
import express, { Router, type Request } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Config } from '@bulwark/config';
import { BulwarkError } from '@bulwark/schema';
import type { TokenStore } from '@bulwark/store';
import type { Authenticator } from './auth.js';
import {
  assertCsrf,
  assertSameOrigin,
  canSignIn,
  CONSOLE_SCOPES,
  csrfTokenOf,
  mintSession,
  SESSION_COOKIE,
  sessionSecretOf,
} from './session.js';
import { SignInFailures } from './session-throttle.js';

export interface SessionRouterDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly auth: Authenticator;
  readonly tokens: TokenStore;
}

const SignIn = z.strictObject({ token: z.string().min(1).max(1024) });

/** What every session route answers: who is signed in, with what, until when, and the CSRF token to send. */
function sessionBody(p: { tokenId: string; name: string; scopes: string[] }, csrfToken: string, expiresAt: string) {
  return { token_id: p.tokenId, name: p.name, scopes: p.scopes, csrf_token: csrfToken, expires_at: expiresAt };
}

export function sessionRouter(deps: SessionRouterDeps): Router {
  const { auth, tokens, logger } = deps;
  const ttlMs = deps.config.console.session_ttl;
  const failures = new SignInFailures();
  // Secure whenever Bulwark speaks TLS: a plain `http_port` beside it must not carry the session.
  const secure = (req: Request): boolean => deps.config.server.tls !== undefined || req.secure;
  const cookieOptions = (req: Request) => ({ httpOnly: true, sameSite: 'strict' as const, path: '/', secure: secure(req) });
  const router = Router();

  // JSON only: an HTML form (what a cross-site page can post without a preflight) cannot send application/json.
  router.post('/v1/session', express.json({ limit: '8kb', type: 'application/json' }), async (req, res) => {
    const address = req.socket.remoteAddress ?? 'unknown';
    failures.assertAllowed(address, res);
    // Signing someone in to the attacker's session is a CSRF too ("login CSRF"): same origin only.
    assertSameOrigin(req);
    const parsed = SignIn.safeParse(req.body ?? {});
    if (!parsed.success) {
      const field = parsed.error.issues[0]!.path.join('.') || '(body)';
      throw new BulwarkError('BWK_BAD_REQUEST', `field "${field}": ${parsed.error.issues[0]!.message} (send {"token":"bwk_..."} as application/json)`, { field });
    }
    const principal = await auth.verify(parsed.data.token);
    if (!principal) {
      failures.record(address);
      logger.warn({ remote_address: address, reason: 'unknown or revoked token' }, 'console sign-in refused');
      throw new BulwarkError('BWK_AUTH_INVALID', 'the token is unknown or revoked');
    }
    if (!canSignIn(principal.scopes)) {
      logger.warn({ remote_address: address, token_id: principal.tokenId, token_name: principal.name, reason: 'no console scope' }, 'console sign-in refused');
      throw new BulwarkError('BWK_AUTH_FORBIDDEN', `the console needs a token with one of the scopes ${CONSOLE_SCOPES.join(', ')}`, {
        scope: CONSOLE_SCOPES.join('|'),
        granted: principal.scopes,
      });
    }
    await endSessionOf(req);
    const session = mintSession({ id: principal.tokenId, name: principal.name, scopes: principal.scopes }, ttlMs);
    await tokens.put(session.stored);
    logger.info({ token_id: principal.tokenId, token_name: principal.name, session_id: session.stored.id, expires_at: session.expiresAt.toISOString() }, 'console sign-in');
    res.cookie(SESSION_COOKIE, session.secret, { ...cookieOptions(req), maxAge: ttlMs });
    res.setHeader('Cache-Control', 'no-store');
    res.status(201).json(sessionBody({ tokenId: principal.tokenId, name: principal.name, scopes: session.stored.scopes }, session.csrfToken, session.expiresAt.toISOString()));
  });

  router.get('/v1/session', async (req, res) => {
    const secret = sessionSecretOf(req);
    if (!secret) throw new BulwarkError('BWK_AUTH_MISSING', 'not signed in: POST /v1/session with a token first');
    const session = await auth.verifySession(secret);
    if (!session) throw new BulwarkError('BWK_AUTH_INVALID', 'the console session is unknown, expired or ended; sign in again');
    res.setHeader('Cache-Control', 'no-store');
    res.json(sessionBody(session, csrfTokenOf(secret), session.expiresAt));
  });

  // Signing out is a state change like any other (a forged one would sign the person out): CSRF-checked when the
  // cookie names a live session. A dead or missing session only has its cookie cleared.
  router.delete('/v1/session', async (req, res) => {
    await endSessionOf(req, { checkCsrf: true });
    res.clearCookie(SESSION_COOKIE, cookieOptions(req));
    res.status(204).end();
  });

  /** Revokes the live session the request's cookie names, if any. */
  async function endSessionOf(req: Request, opts: { checkCsrf?: boolean } = {}): Promise<void> {
    const secret = sessionSecretOf(req);
    const session = secret ? await auth.verifySession(secret) : null;
    if (!secret || !session) return;
    if (opts.checkCsrf) assertCsrf(req, secret);
    await tokens.revoke(session.sessionId);
    auth.forget();
    logger.info({ token_id: session.tokenId, token_name: session.name, session_id: session.sessionId }, 'console sign-out');
  }

  return router;
}
