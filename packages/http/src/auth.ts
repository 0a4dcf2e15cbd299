/**
 * Bearer-token authentication with scopes. Tokens are random secrets shown once; only their SHA-256 is stored (tokens
 * are 256-bit random, so a slow hash adds nothing). The Elasticsearch-compatible surface also accepts the token as a
 * Basic password or an `ApiKey` credential, because that is what shippers know how to send.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { BulwarkError, SourceKinds, type SourceKind } from '@bulwark/schema';
import type { Logger } from 'pino';
import type { ClientCertBinding, StoredToken, TokenStore } from '@bulwark/store';
import { bindingMatches, describeBinding, verifiedCertificateOf, type CertIdentity } from './client-cert.js';
import { assertCsrf, secretMatches, sessionIdOf, sessionScopes, sessionSecretOf, SCOPES_NOT_IN_SESSIONS } from './session.js';

/**
 * `ingest`: send logs (shippers, the audit webhook, Falco); `alerts`: post alerts from other tools (POST /v1/alerts,
 * the Alertmanager webhook); `read`: search and look; `respond`: start, cancel and undo runs; `approve`: decide a run's
 * approvals (never one's own run); `metrics`: scrape `GET /metrics` and nothing else (a Prometheus server's token
 * must not be able to read events); `admin`: tokens, the breaker, and every other scope.
 */
export const SCOPES = ['ingest', 'alerts', 'read', 'respond', 'approve', 'metrics', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Principal {
  tokenId: string;
  name: string;
  scopes: string[];
  /** The token's `sources` restriction (docs/ARCHITECTURE.md, "Tokens and sources"); absent: unrestricted. */
  sources?: SourceKind[];
  /**
   * How the request proved it holds the token: its secret (`token`: Bearer, Basic or ApiKey), or a verified client
   * certificate bound to it (`client-certificate`, client-cert.ts), or a console session made from it (`session`,
   * session.ts; never accepted where events are sent). Stamped on ingested events' provenance.
   */
  credential?: 'token' | 'client-certificate' | 'session';
  /** For `client-certificate`: the certificate's SHA-256 fingerprint and subject CN, for logs and audit. */
  certificate?: { fingerprint256: string; subjectCn: string | null };
}

/** A principal authenticated by a console session: which session, and when it ends. */
export interface SessionPrincipal extends Principal {
  sessionId: string;
  expiresAt: string;
}

/** The source kinds a principal may speak for: its token's `sources`, or every kind when unrestricted. */
export function tokenSources(principal: Principal): SourceKind[] {
  return principal.sources ? [...principal.sources] : [...SourceKinds];
}

/** True when the token was granted `kind` by name (not merely unrestricted): what native mapping on `_bulk` needs. */
export function explicitlyGranted(principal: Principal, kind: SourceKind): boolean {
  return principal.sources?.includes(kind) ?? false;
}

/**
 * Middleware after `require(scope)`: refuses (403 BWK_AUTH_SOURCE_FORBIDDEN) a token restricted to sources that none
 * of `kinds` — what this route can speak for — is in. Unrestricted tokens pass (back-compat); what their events
 * speak for is then decided by the route alone (see the collector).
 */
export function requireSource(route: string, kinds: readonly SourceKind[]): RequestHandler {
  return (req, _res, next) => {
    const principal = req.principal;
    if (!principal) throw new BulwarkError('BWK_AUTH_MISSING', 'send a token: Authorization: Bearer <token>');
    if (principal.sources && !principal.sources.some((s) => kinds.includes(s))) {
      throw new BulwarkError(
        'BWK_AUTH_SOURCE_FORBIDDEN',
        `${route} speaks for ${kinds.join(', ')}; this token may speak only for ${principal.sources.join(', ') || 'nothing'}`,
        { route, route_sources: [...kinds], token_sources: principal.sources },
      );
    }
    next();
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The stored id of a token: derived from its hash so any secret (including a configured bootstrap one) works. */
/**
 * The sources a token minted without `sources` may speak for: least privilege for what its scopes send — `logs` for
 * `ingest` (a shipper's token, often kept in a URL or a DaemonSet's env, must not be able to forge audit or Falco
 * evidence), `external` and `alertmanager` for `alerts`. Admin tokens, and tokens that send nothing, stay
 * unrestricted. Speaking for `k8s-audit` or `falco` is always an explicit grant.
 */
export function defaultSources(scopes: readonly string[]): SourceKind[] | undefined {
  if (scopes.includes('admin')) return undefined;
  const kinds: SourceKind[] = [];
  if (scopes.includes('ingest')) kinds.push('logs');
  if (scopes.includes('alerts')) kinds.push('external', 'alertmanager');
  return kinds.length > 0 ? kinds : undefined;
}

export function tokenIdOf(secret: string): string {
  return sha256(`bulwark-token-id:${secret}`).slice(0, 16);
}

/** Builds the stored form of a new token and returns the secret to show once. */
export function mintToken(
  name: string,
  scopes: string[],
  secret = `bwk_${randomBytes(32).toString('base64url')}`,
  sources?: SourceKind[],
  clientCert?: ClientCertBinding,
): {
  secret: string;
  stored: StoredToken;
} {
  return {
    secret,
    stored: {
      id: tokenIdOf(secret),
      name,
      scopes,
      hash: sha256(secret),
      createdAt: new Date().toISOString(),
      revokedAt: null,
      ...(sources !== undefined ? { sources } : {}),
      ...(clientCert !== undefined ? { clientCert } : {}),
    },
  };
}

/** Extracts candidate secrets from an Authorization header (Bearer, Basic password, ApiKey). */
export function secretsFromHeader(header: string | undefined, allowEsSchemes: boolean): string[] {
  if (!header) return [];
  const space = header.indexOf(' ');
  if (space < 0) return [];
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer') return [value];
  if (!allowEsSchemes) return [];
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? [] : [decoded.slice(colon + 1)];
  }
  if (scheme === 'apikey') {
    // Elasticsearch's encoded form is base64("id:key"); the key is our token. A raw token is accepted too.
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? [value] : [decoded.slice(colon + 1), value];
  }
  return [];
}

export class Authenticator {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();
  /** Live tokens bound to a client certificate, re-read at most every `cacheMs` (revocation applies within it). */
  private bound: { tokens: Promise<StoredToken[]>; until: number } | null = null;
  /** Certificates already logged as authenticating (fingerprint → token id), so the log says it once per binding. */
  private readonly announced = new Map<string, string>();

  constructor(private readonly tokens: TokenStore, private readonly cacheMs = 10_000, private readonly logger?: Logger) {}

  /** Resolves a secret to a principal, or null. Results are cached briefly; revocation applies within `cacheMs`. */
  async verify(secret: string): Promise<Principal | null> {
    const now = Date.now();
    const key = sha256(secret);
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    const stored = await this.tokens.getById(tokenIdOf(secret));
    let principal: Principal | null = null;
    // A session record is never a bearer credential: it acts only through its cookie, with CSRF checks.
    if (stored && !stored.revokedAt && !stored.session && timingSafeEqual(Buffer.from(stored.hash), Buffer.from(key))) {
      principal = { ...principalOf(stored), credential: 'token' };
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { principal, until: now + this.cacheMs });
    return principal;
  }

  /**
   * Resolves a console session's secret to the principal of its parent token, or null: unknown, revoked or expired
   * session, or a parent token revoked since (docs/ARCHITECTURE.md, "Console sessions"). Cached like tokens, never past
   * the session's expiry; a revocation through this process applies at once (`forget`), elsewhere within `cacheMs`.
   */
  async verifySession(secret: string): Promise<SessionPrincipal | null> {
    const now = Date.now();
    const key = `session:${createHash('sha256').update(secret).digest('hex')}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal as SessionPrincipal | null;
    const stored = await this.tokens.getById(sessionIdOf(secret));
    let principal: SessionPrincipal | null = null;
    let until = now + this.cacheMs;
    if (stored?.session && !stored.revokedAt && Date.parse(stored.session.expiresAt) > now && secretMatches(stored, secret)) {
      const parent = await this.tokens.getById(stored.session.parentId);
      if (parent && !parent.revokedAt && !parent.session) {
        const acting = principalOf(parent);
        principal = { ...acting, scopes: sessionScopes(acting.scopes), credential: 'session', sessionId: stored.id, expiresAt: stored.session.expiresAt };
        until = Math.min(until, Date.parse(stored.session.expiresAt));
      }
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { principal, until });
    return principal;
  }

  forget(): void {
    this.cache.clear();
    this.bound = null;
  }

  /**
   * The principal of the one live token bound to a verified client certificate's identity; null when none is.
   * Two live tokens matching one certificate is a configuration mistake that must not pick either: refused.
   */
  async verifyCertificate(identity: CertIdentity): Promise<Principal | null> {
    const now = Date.now();
    if (!this.bound || this.bound.until <= now) {
      const tokens = this.tokens.list().then((all) => all.filter((t) => t.clientCert && !t.revokedAt));
      this.bound = { tokens, until: now + this.cacheMs };
      tokens.catch(() => (this.bound = null));
    }
    const matching = (await this.bound.tokens).filter((t) => bindingMatches(t.clientCert!, identity));
    if (matching.length > 1) {
      throw new BulwarkError('BWK_AUTH_INVALID', `the client certificate matches ${matching.length} tokens' bindings; revoke all but one`, {
        tokens: matching.map((t) => t.id),
      });
    }
    const stored = matching[0];
    if (!stored) return null;
    if (this.announced.get(identity.fingerprint256) !== stored.id) {
      if (this.announced.size > 1000) this.announced.clear();
      this.announced.set(identity.fingerprint256, stored.id);
      this.logger?.info(
        { token_id: stored.id, token_name: stored.name, binding: describeBinding(stored.clientCert!), cert_fingerprint256: identity.fingerprint256, cert_cn: identity.subjectCn },
        'client certificate authenticated as a token',
      );
    }
    return { ...principalOf(stored), credential: 'client-certificate', certificate: { fingerprint256: identity.fingerprint256, subjectCn: identity.subjectCn } };
  }

  /**
   * Middleware: 401 without valid credentials, 403 without `scope` (admin holds every scope).
   *
   * Credentials, in order: a token in the Authorization header; then, when no header token is valid, a client
   * certificate the TLS server verified (client-cert.ts). A valid token wins over a certificate bound to another
   * token — it is the credential the sender chose for this request. A sender that holds both (client-go presents its
   * kubeconfig's token and certificate together) is authenticated by the certificate when its token is unknown or
   * revoked. An unverified certificate is never a credential. Without either, the console's session cookie (session.ts),
   * with its CSRF checks on state changes.
   */
  require(scope: Scope, opts: { esSchemes?: boolean } = {}): RequestHandler {
    return async (req, _res, next) => {
      const secrets = secretsFromHeader(req.headers.authorization, opts.esSchemes ?? false);
      let principal: Principal | null = null;
      for (const s of secrets) {
        principal = await this.verify(s);
        if (principal) break;
      }
      const certificate = principal ? null : verifiedCertificateOf(req);
      if (certificate) principal = await this.verifyCertificate(certificate);
      // The console's session cookie, only when no other credential was sent, and never where events are sent or
      // metrics scraped (machines' routes: the ES-compatible surface, `ingest`, `metrics`).
      const cookieAccepted = !opts.esSchemes && !SCOPES_NOT_IN_SESSIONS.includes(scope);
      const sessionSecret = secrets.length === 0 && !certificate && cookieAccepted ? sessionSecretOf(req) : null;
      if (sessionSecret) {
        principal = await this.verifySession(sessionSecret);
        if (!principal) throw new BulwarkError('BWK_AUTH_INVALID', 'the console session is unknown, expired or ended; sign in again');
        assertCsrf(req, sessionSecret);
      }
      if (!principal && secrets.length === 0 && !certificate) {
        throw new BulwarkError('BWK_AUTH_MISSING', 'send a token: Authorization: Bearer <token>', { scope });
      }
      if (!principal) {
        throw new BulwarkError('BWK_AUTH_INVALID', secrets.length > 0 ? 'the token is unknown or revoked' : 'no live token is bound to this client certificate');
      }
      if (!principal.scopes.includes(scope) && !principal.scopes.includes('admin')) {
        throw new BulwarkError('BWK_AUTH_FORBIDDEN', `this route needs the "${scope}" scope`, {
          scope,
          granted: principal.scopes,
        });
      }
      req.principal = principal;
      next();
    };
  }
}

function principalOf(stored: StoredToken): Principal {
  return { tokenId: stored.id, name: stored.name, scopes: stored.scopes, ...(stored.sources ? { sources: stored.sources } : {}) };
}
