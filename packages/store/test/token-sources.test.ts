// services: opensearch elasticsearch
/**
 * A token's `sources` restriction (docs/ARCHITECTURE.md, "Tokens and sources") in both token stores: kept and read back
 * as given, absent when unrestricted, refused when it names an unknown kind; a token file from before the restriction
 * existed (schema v1) migrates and its tokens stay unrestricted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { SourceKind } from '@bulwark/schema';
import { randomBytes } from 'node:crypto';
import {
  CASE_COLLECTIONS,
  caseIndexName,
  CaseTokenStore,
  createEngineClient,
  SearchCaseStore,
  SqliteCaseStore,
  SqliteTokenStore,
  type EngineKind,
  type StoredToken,
  type TokenStore,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-token-sources-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const token = (id: string, sources?: SourceKind[]): StoredToken => ({
  id,
  name: `n-${id}`,
  scopes: ['ingest'],
  hash: `sha256:${id}`,
  createdAt: '2024-05-01T00:00:00.000Z',
  revokedAt: null,
  ...(sources ? { sources } : {}),
});

const stores: Array<[string, () => TokenStore]> = [
  ['SqliteTokenStore', () => new SqliteTokenStore({ path: join(dir, 'tokens.sqlite') })],
  ['CaseTokenStore', () => new CaseTokenStore(new SqliteCaseStore({ path: join(dir, 'cases.sqlite') }))],
];
// Scale mode: the tokens collection of the case store on each search engine (both run under `npm test`, whose test
// services set these variables; the engines' own suites fail when one is missing, so these never go unrun).
const engines: Array<[EngineKind, string, string | undefined]> = [
  ['opensearch', 'OpenSearch', process.env.OPENSEARCH_URL],
  ['elasticsearch', 'Elasticsearch', process.env.ELASTICSEARCH_URL],
];
for (const [kind, title, url] of engines) {
  if (!url) continue;
  const prefix = `bwk-test-${randomBytes(4).toString('hex')}-srcs`;
  stores.push([`CaseTokenStore on ${title}`, () => new CaseTokenStore(new SearchCaseStore({ engine: { kind, url }, prefix, replicas: 0, refresh: true }))]);
  after(async () => {
    const admin = createEngineClient({ kind, url });
    const indices = CASE_COLLECTIONS.map((c) => caseIndexName(prefix, c));
    await admin.request({ method: 'DELETE', path: `/${indices.join(',')}`, querystring: { ignore_unavailable: true } });
    await admin.close();
  });
}

for (const [name, open] of stores) {
  describe(`${name}: sources`, () => {
    it('keeps a restriction, reads none back for an unrestricted token, and refuses unknown kinds', async () => {
      const store = open();
      await store.init();
      try {
        await store.put(token('audit', ['k8s-audit']));
        await store.put(token('open'));
        assert.deepEqual((await store.getById('audit'))?.sources, ['k8s-audit']);
        assert.equal((await store.getById('open'))?.sources, undefined);
        assert.ok(!('sources' in (await store.getById('open'))!), 'no sources key at all: unrestricted');
        await assert.rejects(store.put({ ...token('bad'), sources: ['syslog' as SourceKind] }), { code: 'BWK_BAD_REQUEST' });
        await store.revoke('audit');
        assert.deepEqual((await store.getById('audit'))?.sources, ['k8s-audit'], 'revocation keeps the restriction');
      } finally {
        await store.close();
      }
    });
  });
}

describe('SqliteTokenStore: a file from before token sources', () => {
  it('migrates; its tokens stay unrestricted and new ones can be restricted', async () => {
    const path = join(dir, 'v1.sqlite');
    const db = new Database(path);
    db.exec(`CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, scopes TEXT NOT NULL, hash TEXT NOT NULL,
      created_at TEXT NOT NULL, revoked_at TEXT) STRICT;
      CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, dataset TEXT, doc TEXT NOT NULL) STRICT;
      CREATE VIRTUAL TABLE events_fts USING fts5 (message, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');`);
    db.prepare('INSERT INTO tokens VALUES (?, ?, ?, ?, ?, NULL)').run('old', 'old-shipper', '["ingest"]', 'sha256:old', '2024-01-01T00:00:00.000Z');
    db.pragma('user_version = 1');
    db.close();
    const store = new SqliteTokenStore({ path });
    await store.init();
    try {
      const old = await store.getById('old');
      assert.equal(old?.name, 'old-shipper');
      assert.equal(old?.sources, undefined);
      await store.put(token('new', ['falco']));
      assert.deepEqual((await store.getById('new'))?.sources, ['falco']);
    } finally {
      await store.close();
    }
  });
});
