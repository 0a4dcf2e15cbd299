/**
 * Search API: `GET /v1/search` (query language, time range, cursor pagination), `GET /v1/events/:id`,
 * `GET /v1/histogram`; and token management for admins.
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { BulwarkError, SourceKinds } from '@bulwark/schema';
import { MAX_BUCKETS, parseQuery, type ClientCertBinding } from '@bulwark/store';
import { defaultSources, mintToken, SCOPES } from '@bulwark/http';
import type { ApiDeps } from '@bulwark/runtime';
import { autoInterval, HistogramParams, parseParams, SearchParams } from './params.js';


export function searchRouter(deps: ApiDeps): Router {
  const { store, auth } = deps;
  const router = Router();
  const read = auth.require('read');

  router.get('/v1/search', read, async (req, res) => {
    const p = parseParams(SearchParams, req.query);
    const query = parseQuery(p.q);
    const result = await store.search({
      query,
      size: p.size,
      sort: p.sort,
      ...(p.from ? { from: p.from } : {}),
      ...(p.to ? { to: p.to } : {}),
      ...(p.cursor ? { cursor: p.cursor } : {}),
    });
    res.json({ hits: result.hits, cursor: result.cursor });
  });

  router.get('/v1/events/:id', read, async (req, res) => {
    const event = await store.get(String(req.params.id));
    if (!event) throw new BulwarkError('BWK_NOT_FOUND', `no event with id "${req.params.id}"`, { id: req.params.id });
    res.json(event);
  });

  router.get('/v1/histogram', read, async (req, res) => {
    const p = parseParams(HistogramParams, req.query);
    const to = p.to ?? new Date();
    const from = p.from ?? new Date(to.getTime() - 24 * 3_600_000);
    if (from >= to) throw new BulwarkError('BWK_BAD_PARAM', 'parameter "from" must be before "to"', { param: 'from' });
    const intervalMs = p.interval ?? autoInterval(to.getTime() - from.getTime());
    if ((to.getTime() - from.getTime()) / intervalMs > MAX_BUCKETS) {
      throw new BulwarkError('BWK_BAD_PARAM', `parameter "interval": more than ${MAX_BUCKETS} buckets; widen it`, {
        param: 'interval',
      });
    }
    const result = await store.histogram({ query: parseQuery(p.q), from, to, intervalMs });
    res.json({ interval_ms: result.intervalMs, total: result.total, buckets: result.buckets });
  });

  return router;
}

const NewToken = z.strictObject({
  name: z.string().min(1).max(200),
  scopes: z.array(z.enum(SCOPES)).min(1),
  /**
   * The source kinds the token may speak for (docs/ARCHITECTURE.md, "Tokens and sources"): e.g. `[k8s-audit]` for the
   * API server's audit webhook, `[falco]` for Falco, `[logs]` for a log shipper. Absent: what the scopes send at least
   * privilege (`defaultSources`: `logs` for ingest, `external` and `alertmanager` for alerts; admin unrestricted).
   */
  sources: z.array(z.enum(SourceKinds)).max(SourceKinds.length * 4).optional(),
  /**
   * Bind the token to a client certificate identity (mTLS, `server.tls.client_ca_file`): a request whose TLS
   * connection presents a verified certificate matching every field given authenticates as this token.
   */
  client_cert: z
    .strictObject({
      subject_cn: z.string().min(1).max(256).optional(),
      san_dns: z.string().min(1).max(253).optional(),
      san_uri: z.string().min(1).max(2048).optional(),
    })
    .refine((b) => b.subject_cn !== undefined || b.san_dns !== undefined || b.san_uri !== undefined, 'name at least one of subject_cn, san_dns, san_uri')
    .optional(),
});

/** The stored form of a requested binding. */
function bindingOf(requested: NonNullable<z.infer<typeof NewToken>['client_cert']>): ClientCertBinding {
  return {
    ...(requested.subject_cn !== undefined ? { subjectCn: requested.subject_cn } : {}),
    ...(requested.san_dns !== undefined ? { sanDns: requested.san_dns } : {}),
    ...(requested.san_uri !== undefined ? { sanUri: requested.san_uri } : {}),
  };
}

function sameBinding(a: ClientCertBinding, b: ClientCertBinding): boolean {
  return a.subjectCn === b.subjectCn && a.sanDns?.toLowerCase() === b.sanDns?.toLowerCase() && a.sanUri === b.sanUri;
}

export function tokenRouter(deps: ApiDeps): Router {
  const { tokens, auth } = deps;
  const router = Router();
  const admin = auth.require('admin');

  router.post('/v1/tokens', admin, express.json({ limit: '64kb' }), async (req, res) => {
    const parsed = NewToken.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join('.') || '(body)';
      throw new BulwarkError('BWK_BAD_REQUEST', `field "${field}": ${issue.message}`, { field });
    }
    const sources = parsed.data.sources ? [...new Set(parsed.data.sources)] : defaultSources(parsed.data.scopes);
    const clientCert = parsed.data.client_cert ? bindingOf(parsed.data.client_cert) : undefined;
    if (clientCert) {
      // One certificate, one token: a second live token with the same binding would make the certificate ambiguous.
      const taken = (await tokens.list()).find((t) => !t.revokedAt && t.clientCert && sameBinding(t.clientCert, clientCert));
      if (taken) throw new BulwarkError('BWK_CONFLICT', `token ${taken.id} (${taken.name}) is already bound to this client certificate identity; revoke it first`, { collection: 'tokens', id: taken.id });
    }
    const { secret, stored } = mintToken(parsed.data.name, parsed.data.scopes, undefined, sources, clientCert);
    await tokens.put(stored);
    if (clientCert) auth.forget();
    res.status(201).json({
      id: stored.id,
      name: stored.name,
      scopes: stored.scopes,
      ...(sources ? { sources } : {}),
      ...(parsed.data.client_cert ? { client_cert: parsed.data.client_cert } : {}),
      token: secret,
    });
  });

  router.get('/v1/tokens', admin, async (_req, res) => {
    // Console sessions live beside the tokens (docs/ARCHITECTURE.md, "Console sessions") but are not tokens to manage.
    const list = (await tokens.list()).filter((t) => !t.session);
    res.json({ items: list.map(({ hash: _hash, ...t }) => t) });
  });

  router.delete('/v1/tokens/:id', admin, async (req, res) => {
    const ok = await tokens.revoke(String(req.params.id));
    if (!ok) throw new BulwarkError('BWK_NOT_FOUND', `no token "${req.params.id}"`, { id: req.params.id });
    auth.forget();
    res.status(204).end();
  });

  return router;
}
