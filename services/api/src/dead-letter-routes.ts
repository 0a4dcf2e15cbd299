/**
 * What detection set aside, for operators (docs/ARCHITECTURE.md, "Detection never stalls"): `GET /v1/dead-letter` lists
 * the events the correlator could not evaluate after its bounded retries — event id, batch, rule, error code and
 * reason, a bounded excerpt — newest first, paged like the other case lists; `GET /v1/dead-letter/:id` reads one. Read
 * scope: the records hold excerpts of stored events, which `read` may search anyway.
 *
 * `GET /v1/correlator/status` here serves a process that runs a correlator next to this API (`npm start`: on its
 * own thread): its root hands the API `correlatorStatus`. Without one (the API process of scale
 * mode) the route falls through to 404; each scale-mode correlator process serves its own status.
 */
import { Router } from 'express';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import type { ApiDeps } from '@bulwark/runtime';
import { parseParams } from './params.js';
import { AuditListParams, filterOf } from './case-params.js';

const single = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (Array.isArray(v) ? v[v.length - 1] : v), schema);
const text = single(z.string().min(1).max(512).optional());

export const DeadLetterListParams = AuditListParams.pick({ size: true, cursor: true }).extend({
  rule: text,
  code: text,
  event: text,
  batch: text,
});

type DeadLetterRecord = { id: string; at: string } & Record<string, unknown>;

export function deadLetterRouter(deps: ApiDeps): Router {
  const router = Router();
  const read = deps.auth.require('read');

  router.get('/v1/dead-letter', read, async (req, res) => {
    const p = parseParams(DeadLetterListParams, req.query);
    const page = await deps.cases.query<DeadLetterRecord>('deadletter', {
      filter: filterOf({ rule_id: p.rule, code: p.code, event_id: p.event, batch_id: p.batch }),
      sort: { field: 'at', order: 'desc' },
      size: p.size,
      ...(p.cursor ? { cursor: p.cursor } : {}),
    });
    res.json({ items: page.items.map(({ record }) => record), cursor: page.cursor });
  });

  router.get('/v1/dead-letter/:id', read, async (req, res) => {
    const found = await deps.cases.get<DeadLetterRecord>('deadletter', String(req.params.id));
    if (!found) throw new BulwarkError('BWK_NOT_FOUND', `no dead-letter record ${JSON.stringify(req.params.id)}`, { id: req.params.id });
    res.json(found.record);
  });

  router.get('/v1/correlator/status', read, async (_req, res, next) => {
    const source = deps.correlatorStatus;
    if (!source) return next();
    res.json(await source());
  });

  return router;
}
