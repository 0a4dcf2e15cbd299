/**
 * The audit trail for people (docs/ARCHITECTURE.md, "Response": every side effect is an audit record): who or what did
 * what to which target, before and after, the result, the run and step — read-only. There is no route that writes,
 * changes or deletes an audit record (and the store's port refuses update and delete on it), so the trail cannot be
 * edited through the API. Evidence captured by playbooks is an audit record too: listed without its content, read whole
 * with its SHA-256 at `/v1/evidence/:id`.
 */
import { Router } from 'express';
import { BulwarkError } from '@bulwark/schema';
import type { ApiDeps } from '@bulwark/runtime';
import { parseParams } from './params.js';
import { AuditListParams, filterOf } from './case-params.js';

type AuditRecord = { id: string; at: string; content?: string } & Record<string, unknown>;

export function auditRouter(deps: ApiDeps): Router {
  const router = Router();
  const read = deps.auth.require('read');

  router.get('/v1/audit', read, async (req, res) => {
    const p = parseParams(AuditListParams, req.query);
    const page = await deps.cases.query<AuditRecord>('audit', {
      filter: filterOf({ run_id: p.run_id, incident_id: p.incident_id, target_id: p.target_id, actor: p.actor, action: p.action }),
      sort: { field: 'at', order: 'desc' },
      size: p.size,
      ...(p.cursor ? { cursor: p.cursor } : {}),
    });
    res.json({ items: page.items.map(({ record: { content: _content, ...rest } }) => rest), cursor: page.cursor });
  });

  // One record, as an incident timeline item names it (`audit_id`); captured evidence content is read at /v1/evidence.
  router.get('/v1/audit/:id', read, async (req, res) => {
    const found = await deps.cases.get<AuditRecord>('audit', String(req.params.id));
    if (!found) throw new BulwarkError('BWK_NOT_FOUND', `no audit record ${JSON.stringify(req.params.id)}`, { id: req.params.id });
    const { content: _content, ...rest } = found.record;
    res.json(rest);
  });

  router.get('/v1/evidence/:id', read, async (req, res) => {
    const found = await deps.cases.get<AuditRecord>('audit', String(req.params.id));
    if (!found || found.record.action !== 'evidence.capture') {
      throw new BulwarkError('BWK_NOT_FOUND', `no evidence ${JSON.stringify(req.params.id)}`, { id: req.params.id });
    }
    res.json(found.record);
  });

  return router;
}
