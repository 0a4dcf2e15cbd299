/**
 * The token store's start-up duties, run by every root once the store is open: make sure an admin token exists, and
 * say which stored tokens may speak for every source.
 */
import type { Logger } from 'pino';
import { mintToken, tokenIdOf } from '@bulwark/http';
import type { TokenStore } from '@bulwark/store';

/**
 * Ensures an admin token exists: installs the configured bootstrap token, or, when the store holds no token at all,
 * mints one and returns its secret so the caller can hand it over once (initial-token.ts).
 */
export async function bootstrapAdminToken(tokens: TokenStore, configured: string | undefined, logger?: Logger): Promise<string | null> {
  if (configured) {
    const existing = await tokens.getById(tokenIdOf(configured));
    // A revoked bootstrap token stays revoked: revoking it is how an operator retires a leaked one, and the same
    // secret still sitting in an env file or manifest must not bring it back at the next start.
    if (existing?.revokedAt) {
      logger?.warn({ token: existing.id }, 'the configured bootstrap token was revoked and is not installed again; configure a new secret or remove it');
    } else if (!existing) {
      await tokens.put(mintToken('bootstrap-admin', ['admin'], configured).stored);
    }
    return null;
  }
  if ((await tokens.count()) > 0) return null;
  const { secret, stored } = mintToken('initial-admin', ['admin']);
  await tokens.put(stored);
  return secret;
}

/**
 * Tokens minted before sources existed (or put in the store by hand) may send with `ingest` for every source kind: a
 * shipper's such token can forge audit-webhook or Falco evidence, which may start containment. Said once at start,
 * naming them, so an operator re-mints them with `sources`.
 */
export async function warnUnrestrictedSenders(tokens: TokenStore, logger: Logger): Promise<void> {
  const open = (await tokens.list()).filter((t) => !t.revokedAt && t.scopes.includes('ingest') && !t.scopes.includes('admin') && t.sources == null);
  if (open.length === 0) return;
  logger.warn(
    { tokens: open.map((t) => ({ id: t.id, name: t.name })) },
    'ingest tokens without sources may speak for every source, including k8s-audit and falco, whose evidence can start containment: mint replacements with sources and revoke these',
  );
}
