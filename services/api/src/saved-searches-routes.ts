/**
 * Saved searches, one set per token (`owner` = the token id; a console session acts as the token it was made from):
 * list, create, read, replace, delete, in the case store's `searches` collection. Someone else's search answers 404,
 * as one that does not exist, so ids of other people's searches are not disclosed. Replacing and deleting take the
 * version read (`If-Match` or body `version`; 409 when stale), as incidents do (docs/ARCHITECTURE.md, "Alerts and
 * incidents"). The query must parse when saved, so a saved search always opens.
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import { parseQuery, type CaseRecord, type Versioned } from '@bulwark/store';
import type { ApiDeps } from '@bulwark/runtime';
import { parseOrThrow } from '@bulwark/cases';
import { expectedVersionOf } from './case-params.js';
import { parseParams, parseTime } from './params.js';

export interface SavedSearch extends CaseRecord {
  owner: string;
  name: string;
  q: string;
  /** As the user wrote them (`now-15m` stays relative), or null. */
  from: string | null;
  to: string | null;
  /** Result table columns, or null for the console's default. */
  columns: string[] | null;
  created_at: string;
  updated_at: string;
}

const time = z
  .string()
  .max(64)
  .refine((v) => parseTime(v) !== null, 'must be ISO 8601, epoch milliseconds, or now[-+]<n><unit>');
const Body = z.strictObject({
  name: z.string().trim().min(1).max(200),
  q: z.string().max(10_000),
  from: time.nullable().optional(),
  to: time.nullable().optional(),
  columns: z
    .array(z.string().min(1).max(512).regex(/^(?:[A-Za-z0-9_@/-]|\\\.)+(?:\.(?:[A-Za-z0-9_@/-]|\\\.)+)*$/, 'must be a field name'))
    .max(200)
    .nullable()
    .optional(),
  version: z.string().max(64).optional(),
});
const ListParams = z.object({
  size: z.preprocess((v) => (Array.isArray(v) ? v.at(-1) : v), z.coerce.number().int().min(1).max(1000).default(100)),
  cursor: z.preprocess((v) => (Array.isArray(v) ? v.at(-1) : v), z.string().max(4096).optional()),
});
const jsonBody = express.json({ limit: '64kb', type: () => true });

function ownerOf(req: Request): string {
  const id = req.principal?.tokenId;
  if (!id) throw new BulwarkError('BWK_AUTH_MISSING', 'send a token: Authorization: Bearer <token>');
  return id;
}

/** The body, with the query checked: a syntax error is BWK_QUERY_SYNTAX with its position, as `GET /v1/search`. */
function parseBody(req: Request): z.output<typeof Body> {
  const body = parseOrThrow(Body, req.body ?? {});
  parseQuery(body.q);
  return body;
}

function send(res: Response, { record, version }: Versioned<SavedSearch>, status = 200): void {
  res.setHeader('ETag', `"${version}"`);
  res.status(status).json({ ...record, version });
}

export function savedSearchesRouter(deps: ApiDeps): Router {
  const { cases, auth } = deps;
  const router = Router();
  const read = auth.require('read');

  /** The caller's own search, or 404 for anyone else's and for none. */
  async function own(req: Request): Promise<Versioned<SavedSearch>> {
    const id = String(req.params.id);
    const found = await cases.get<SavedSearch>('searches', id);
    if (!found || found.record.owner !== ownerOf(req)) throw new BulwarkError('BWK_NOT_FOUND', `no saved search "${id}"`, { collection: 'searches', id });
    return found;
  }

  router.get('/v1/saved-searches', read, async (req, res) => {
    const p = parseParams(ListParams, req.query);
    const page = await cases.query<SavedSearch>('searches', {
      filter: { owner: ownerOf(req) },
      sort: { field: 'name', order: 'asc' },
      size: p.size,
      ...(p.cursor ? { cursor: p.cursor } : {}),
    });
    res.json({ items: page.items.map(({ record, version }) => ({ ...record, version })), cursor: page.cursor });
  });

  router.post('/v1/saved-searches', read, jsonBody, async (req, res) => {
    const body = parseBody(req);
    const now = new Date().toISOString();
    const record: SavedSearch = {
      id: randomUUID(),
      owner: ownerOf(req),
      name: body.name,
      q: body.q,
      from: body.from ?? null,
      to: body.to ?? null,
      columns: body.columns ?? null,
      created_at: now,
      updated_at: now,
    };
    const created = await cases.create('searches', record);
    res.setHeader('Location', `/v1/saved-searches/${record.id}`);
    send(res, created, 201);
  });

  router.get('/v1/saved-searches/:id', read, async (req, res) => {
    send(res, await own(req));
  });

  router.put('/v1/saved-searches/:id', read, jsonBody, async (req, res) => {
    const body = parseBody(req);
    const current = await own(req);
    let expectedVersion = expectedVersionOf(req, body.version);
    if (expectedVersion === '*') expectedVersion = current.version;
    const record: SavedSearch = {
      ...current.record,
      name: body.name,
      q: body.q,
      from: body.from ?? null,
      to: body.to ?? null,
      columns: body.columns ?? null,
      updated_at: new Date().toISOString(),
    };
    const version = await cases.update('searches', record.id, record, { expectedVersion });
    send(res, { record, version });
  });

  router.delete('/v1/saved-searches/:id', read, async (req, res) => {
    const current = await own(req);
    // A version is checked when sent (If-Match) but not required: deleting one's own search loses nothing shared.
    const header = req.headers['if-match'];
    const expected = typeof header === 'string' && header.trim() ? expectedVersionOf(req, undefined) : '*';
    await cases.delete('searches', current.record.id, expected === '*' ? {} : { expectedVersion: expected });
    res.status(204).end();
  });

  return router;
}
