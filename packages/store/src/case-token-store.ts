/**
 * API tokens on the CaseStore port (its `tokens` collection): what scale mode uses, so a token minted through any
 * process — the api, a collector, a responder — is accepted by all of them, and a revocation reaches all of them
 * (within the Authenticator's short cache). Only the hash of a token's secret is stored, as in the SQLite store.
 */
import { BulwarkError } from '@bulwark/schema';
import type { CaseStore } from './case-port.js';
import type { StoredToken, TokenStore } from './port.js';
import { checkToken } from './token-check.js';

type TokenRecord = StoredToken & { revokedAt: string | null };

export class CaseTokenStore implements TokenStore {
  /** `ownsCases`: close the case store with this one (it was opened for it). */
  constructor(private readonly cases: CaseStore, private readonly ownsCases = true) {}

  init(): Promise<void> {
    return this.cases.init();
  }

  /** Insert, or replace the token with the same id. */
  async put(token: StoredToken): Promise<void> {
    checkToken(token);
    // `sources` is kept as given (absent = unrestricted), like every other field of the record.
    const record: TokenRecord = { ...token, revokedAt: token.revokedAt ?? null };
    for (let attempt = 0; ; attempt++) {
      const current = await this.cases.get<TokenRecord>('tokens', token.id);
      try {
        if (current) await this.cases.update('tokens', token.id, record, { expectedVersion: current.version });
        else await this.cases.create('tokens', record);
        return;
      } catch (err) {
        if (!(err instanceof BulwarkError) || err.code !== 'BWK_CONFLICT' || attempt >= 5) throw err;
      }
    }
  }

  async getById(id: string): Promise<StoredToken | null> {
    return (await this.cases.get<TokenRecord>('tokens', id))?.record ?? null;
  }

  /** Every token, revoked ones included, oldest first. */
  async list(): Promise<StoredToken[]> {
    const tokens: StoredToken[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.cases.query<TokenRecord>('tokens', { sort: { field: 'createdAt', order: 'asc' }, size: 1000, ...(cursor ? { cursor } : {}) });
      tokens.push(...page.items.map((item) => item.record));
      cursor = page.cursor ?? undefined;
    } while (cursor);
    return tokens;
  }

  /** Marks a token revoked (the first revocation time is kept); false when there is no such token. */
  async revoke(id: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.cases.get<TokenRecord>('tokens', id);
      if (!current) return false;
      if (current.record.revokedAt) return true;
      try {
        await this.cases.update('tokens', id, { ...current.record, revokedAt: new Date().toISOString() }, { expectedVersion: current.version });
        return true;
      } catch (err) {
        if (!(err instanceof BulwarkError) || err.code !== 'BWK_CONFLICT' || attempt >= 5) throw err;
      }
    }
  }

  /** How many tokens are stored, revoked ones included (the bootstrap check must not fire again after revocations). */
  async count(): Promise<number> {
    const page = await this.cases.query<TokenRecord>('tokens', { size: 1 });
    if (page.cursor === null) return page.items.length;
    return (await this.list()).length;
  }

  async close(): Promise<void> {
    if (this.ownsCases) await this.cases.close();
  }
}
