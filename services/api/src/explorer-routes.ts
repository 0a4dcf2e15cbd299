/**
 * What the console's explorer asks beyond search and histogram: the field sidebar (`GET /v1/fields`), one field's top
 * values (`GET /v1/fields/top`), the events around one event (`GET /v1/events/:id/context`) and pivots from an entity
 * to the entities it is tied to (`GET /v1/pivot`). All read the LogStore port only, so every adapter answers alike.
 */
import { Router } from 'express';
import { BulwarkError } from '@bulwark/schema';
import { parseQuery } from '@bulwark/store';
import type { ApiDeps } from '@bulwark/runtime';
import { parseParams } from './params.js';
import { ContextParams, FieldsParams, PivotParams, TopValuesParams } from './explorer-params.js';
import { newestMatching, summariseFields } from './fields.js';
import { badContext, defaultBy, entityQuery } from './context.js';
import { pivot } from './pivot.js';

const rangeOf = (p: { from?: Date | undefined; to?: Date | undefined }) => ({
  ...(p.from ? { from: p.from } : {}),
  ...(p.to ? { to: p.to } : {}),
});

export function explorerRouter(deps: ApiDeps): Router {
  const { store, auth } = deps;
  const router = Router();
  const read = auth.require('read');

  /**
   * `sampled`: how many events the counts are made of (the newest `sample` matching); `complete`: whether those were
   * every matching event, so the console can say "top values of the newest 1,000" instead of implying totals.
   */
  router.get('/v1/fields', read, async (req, res) => {
    const p = parseParams(FieldsParams, req.query);
    const { events, complete } = await newestMatching(store, parseQuery(p.q), rangeOf(p), p.sample);
    res.json({ sampled: events.length, complete, fields: summariseFields(events, p.top) });
  });

  /** Counted by the store over every matching event: `total` matched, `present` carry the field, `missing` do not. */
  router.get('/v1/fields/top', read, async (req, res) => {
    const p = parseParams(TopValuesParams, req.query);
    const { total, fields } = await store.topValues({ query: parseQuery(p.q), ...rangeOf(p), fields: [p.field], size: p.size });
    const { present, values } = fields[0]!;
    res.json({ field: p.field, total, present, missing: total - present, values });
  });

  router.get('/v1/events/:id/context', read, async (req, res) => {
    const p = parseParams(ContextParams, req.query);
    const id = String(req.params.id);
    const notFound = () => new BulwarkError('BWK_NOT_FOUND', `no event with id "${id}"`, { id });
    const found = await store.get(id);
    if (!found) throw notFound();
    const by = p.by ?? defaultBy(found);
    const query = entityQuery(found, by);
    if (query === null) throw badContext(by, id);
    const { anchor, before, after } = await store.around({ id, query: parseQuery(query), before: p.before, after: p.after });
    if (!anchor) throw notFound(); // removed by retention in between
    res.json({ anchor, by, query, before, after });
  });

  router.get('/v1/pivot', read, async (req, res) => {
    const p = parseParams(PivotParams, req.query);
    res.json(await pivot(store, p.field, p.value));
  });

  return router;
}
