/**
 * API tokens in the embedded store's SQLite file (table `tokens`, created by the same migrations as the events).
 * Only the hash of a token's secret is stored; hashing and comparing are the auth layer's job. It takes either a
 * path (its own connection, closed by `close()`) or the connection of a `BlockLogStore` (`{ db: store.database }`),
 * so the all-in-one service can keep one connection per file.
 */
import { BulwarkError, type SourceKind } from '@bulwark/schema';
import { checkToken } from '../token-check.js';
import type { ClientCertBinding, SessionOfToken, StoredToken, TokenStore } from '../port.js';
import { migrate, openDatabase, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from './schema.js';

export type SqliteTokenStoreOptions = SqliteOpenOptions | { db: SqliteDatabase };

interface TokenRow {
  id: string;
  name: string;
  scopes: string;
  hash: string;
  created_at: string;
  revoked_at: string | null;
  sources: string | null;
  client_cert: string | null;
  session: string | null;
}

export class SqliteTokenStore implements TokenStore {
  private db: SqliteDatabase | null = null;
  private readonly ownsConnection: boolean;
  /** Prepared once per connection: `getById` runs on every authenticated request. */
  private statements: ReturnType<typeof prepareStatements> | null = null;

  constructor(private readonly options: SqliteTokenStoreOptions) {
    this.ownsConnection = !('db' in options);
  }

  /** Open (when given a path) and migrate; idempotent. */
  async init(): Promise<void> {
    if (this.db?.open) return;
    const db = 'db' in this.options ? this.options.db : openDatabase(this.options);
    try {
      migrate(db);
    } catch (err) {
      if (this.ownsConnection) db.close();
      throw err;
    }
    this.db = db;
    this.statements = prepareStatements(db);
  }

  /** Insert, or replace the token with the same id. */
  async put(token: StoredToken): Promise<void> {
    checkToken(token);
    const sources = token.sources === undefined ? null : JSON.stringify(token.sources);
    const clientCert = token.clientCert === undefined ? null : JSON.stringify(token.clientCert);
    const session = token.session === undefined ? null : JSON.stringify(token.session);
    this.run((st) =>
      st.upsert.run(token.id, token.name, JSON.stringify(token.scopes), token.hash, token.createdAt, token.revokedAt ?? null, sources, clientCert, session),
    );
  }

  async getById(id: string): Promise<StoredToken | null> {
    const row = this.run((st) => st.byId.get(id)) as TokenRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** Every token, revoked ones included, oldest first. */
  async list(): Promise<StoredToken[]> {
    const rows = this.run((st) => st.all.all()) as TokenRow[];
    return rows.map(fromRow);
  }

  /**
   * Mark a token revoked (now). True when the token exists, whether it was revoked by this call or before (the
   * first revocation time is kept); false when there is no such token.
   */
  async revoke(id: string): Promise<boolean> {
    const info = this.run((st) => st.revoke.run(new Date().toISOString(), id));
    return info.changes > 0;
  }

  /**
   * How many tokens are stored, revoked ones included: the bootstrap check ("no token yet, mint an admin token")
   * must not fire again just because every token was revoked.
   */
  async count(): Promise<number> {
    return this.run((st) => st.count.get()) as number;
  }

  /** Close the connection if this store opened it; a shared connection is left to its owner. */
  async close(): Promise<void> {
    if (this.ownsConnection && this.db?.open) this.db.close();
    this.db = null;
    this.statements = null;
  }

  private run<T>(work: (statements: ReturnType<typeof prepareStatements>) => T): T {
    const statements = this.statements;
    if (!this.db?.open || !statements) {
      throw new BulwarkError('BWK_STORE_UNAVAILABLE', 'the SQLite token store is not open; call init()');
    }
    try {
      return work(statements);
    } catch (err) {
      throw toStoreError(err);
    }
  }
}

function prepareStatements(db: SqliteDatabase) {
  return {
    upsert: db.prepare(
      `INSERT INTO tokens (id, name, scopes, hash, created_at, revoked_at, sources, client_cert, session) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, scopes = excluded.scopes, hash = excluded.hash,
         created_at = excluded.created_at, revoked_at = excluded.revoked_at, sources = excluded.sources,
         client_cert = excluded.client_cert, session = excluded.session`,
    ),
    byId: db.prepare('SELECT * FROM tokens WHERE id = ?'),
    all: db.prepare('SELECT * FROM tokens ORDER BY created_at, id'),
    revoke: db.prepare('UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?'),
    count: db.prepare('SELECT count(*) FROM tokens').pluck(),
  };
}

function fromRow(row: TokenRow): StoredToken {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    hash: row.hash,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    ...(row.sources !== null ? { sources: JSON.parse(row.sources) as SourceKind[] } : {}),
    ...(row.client_cert !== null ? { clientCert: JSON.parse(row.client_cert) as ClientCertBinding } : {}),
    ...(row.session !== null ? { session: JSON.parse(row.session) as SessionOfToken } : {}),
  };
}
