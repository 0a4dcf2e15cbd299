/**
 * Console sessions (docs/ARCHITECTURE.md, "Console sessions"): a person signs in with a token and gets a session
 * secret in an HttpOnly cookie. The session is a record in the TokenStore beside the tokens (so every process of
 * either mode accepts it), stored like a token — only the SHA-256 of its 256-bit secret — with `session: { parentId,
 * expiresAt }`. While it lives and its parent token is live, a request carrying the cookie acts as the parent token
 * (same id and name: separation of duties and audit see one person), without the `ingest` and `metrics` scopes, which
 * belong to machines.
 *
 * CSRF: the cookie is ambient (a browser sends it with any request to this host), so a state change made with it must
 * also prove the page read the session: `X-CSRF-Token`, derived from the session secret by HMAC (any process can
 * compute it; nothing more is stored), and, when the browser names one, an `Origin` on this host. SameSite=Strict is
 * a second line, not the only one.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { parse as parseCookies } from 'cookie';
import { BulwarkError } from '@bulwark/schema';
import type { StoredToken } from '@bulwark/store';

export const SESSION_COOKIE = 'bwk_session';
export const CSRF_HEADER = 'x-csrf-token';

/** Scopes a session never carries: sending events and scraping metrics are for machines with their own tokens. */
export const SCOPES_NOT_IN_SESSIONS: readonly string[] = ['ingest', 'metrics'];
/** A token needs one of these to sign in to the console: the others see nothing there. */
export const CONSOLE_SCOPES: readonly string[] = ['read', 'respond', 'approve', 'admin'];

/** Methods that change nothing (RFC 9110 safe methods): the only ones a cookie alone may authenticate. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sessionScopes(scopes: readonly string[]): string[] {
  return scopes.filter((s) => !SCOPES_NOT_IN_SESSIONS.includes(s));
}

export function canSignIn(scopes: readonly string[]): boolean {
  return scopes.some((s) => CONSOLE_SCOPES.includes(s));
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A session's stored id: derived from its secret, like a token's, under another label so the two never collide. */
export function sessionIdOf(secret: string): string {
  return sha256(`bulwark-session-id:${secret}`).slice(0, 16);
}

/** The CSRF token of a session: an HMAC of a fixed label under the session secret (not guessable without it). */
export function csrfTokenOf(secret: string): string {
  return createHmac('sha256', secret).update('bulwark-csrf').digest('base64url');
}

export interface MintedSession {
  secret: string;
  stored: StoredToken;
  csrfToken: string;
  expiresAt: Date;
}

/** A new session for the live token `parent` (already verified), lasting `ttlMs`. */
export function mintSession(parent: { id: string; name: string; scopes: readonly string[] }, ttlMs: number, now = new Date()): MintedSession {
  const secret = `bws_${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + ttlMs);
  return {
    secret,
    csrfToken: csrfTokenOf(secret),
    expiresAt,
    stored: {
      id: sessionIdOf(secret),
      name: parent.name,
      scopes: sessionScopes(parent.scopes),
      hash: sha256(secret),
      createdAt: now.toISOString(),
      revokedAt: null,
      session: { parentId: parent.id, expiresAt: expiresAt.toISOString() },
    },
  };
}

/** True when `secret` is the one whose hash `stored` keeps (compared in constant time). */
export function secretMatches(stored: StoredToken, secret: string): boolean {
  return timingSafeEqual(Buffer.from(stored.hash), Buffer.from(sha256(secret)));
}

/** The session secret in the request's cookie, if any (a malformed Cookie header counts as none). */
export function sessionSecretOf(req: Request): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  try {
    const value = parseCookies(header)[SESSION_COOKIE];
    return value && value.length <= 256 ? value : null;
  } catch {
    return null;
  }
}

/**
 * Refuses (403 BWK_CSRF_INVALID) a request that the browser says comes from another site: an `Origin` whose host is
 * not this request's Host (a proxy in front must pass Host through), or `Sec-Fetch-Site: cross-site`. Browsers send
 * Origin with every cross-origin request and every POST; a request without one is a same-origin GET or not a browser.
 */
export function assertSameOrigin(req: Request): void {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string | null = null;
    try {
      host = origin === 'null' ? null : new URL(origin).host;
    } catch {
      host = null;
    }
    if (host === null || host.toLowerCase() !== (req.headers.host ?? '').toLowerCase()) {
      throw new BulwarkError('BWK_CSRF_INVALID', `the request comes from another origin (${origin.slice(0, 200)}); the console acts only from its own`, {
        header: 'origin',
      });
    }
  }
  if (req.headers['sec-fetch-site'] === 'cross-site') {
    throw new BulwarkError('BWK_CSRF_INVALID', 'the browser says this request comes from another site', { header: 'sec-fetch-site' });
  }
}

/** For a request authenticated by the session cookie: a state change needs the session's CSRF token and its own origin. */
export function assertCsrf(req: Request, secret: string): void {
  if (SAFE_METHODS.has(req.method)) return;
  assertSameOrigin(req);
  const sent = req.headers[CSRF_HEADER];
  const expected = Buffer.from(csrfTokenOf(secret));
  const given = Buffer.from(typeof sent === 'string' ? sent : '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new BulwarkError(
      'BWK_CSRF_INVALID',
      sent === undefined ? `a ${req.method} with the session cookie needs the X-CSRF-Token header (from POST or GET /v1/session)` : 'the X-CSRF-Token header does not match the session',
      { header: CSRF_HEADER },
    );
  }
}
