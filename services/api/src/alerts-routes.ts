/**
 * Alert intake and listing (issue 4 items 4–5): `POST /v1/alerts` (our alert schema, one or a list),
 * `POST /v1/ingest/alertmanager` (Prometheus Alertmanager webhook, payload v4) — both idempotent on retries — and
 * `GET /v1/alerts`, `GET /v1/alerts/:id`.
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { AlertSchema, BulwarkError, type AlertInput } from '@bulwark/schema';
import { AlertmanagerPayload, parseOrThrow, type CaseService } from '@bulwark/cases';
import type { ServiceDeps } from '@bulwark/http';
import { parseParams } from './params.js';
import { AlertListParams, filterOf } from './case-params.js';

/** The most alerts one request may carry; a larger backlog is sent in several requests. */
export const MAX_ALERTS_PER_REQUEST = 1000;

const jsonBody = express.json({ limit: '4mb', type: () => true });

export function alertsRouter(deps: ServiceDeps, cases: CaseService): Router {
  const router = Router();
  const ingest = deps.auth.require('ingest');
  const read = deps.auth.require('read');

  router.post('/v1/alerts', ingest, jsonBody, async (req, res) => {
    const inputs = alertInputs(req.body);
    const actor = req.principal?.name ?? 'api';
    const items = [];
    for (const input of inputs) {
      const result = await cases.recordAlert(input, actor);
      items.push({ id: input.id, stored_as: result.alert.id, outcome: result.outcome, incident_id: result.incident_id, version: result.version });
    }
    res.status(items.some((i) => i.outcome === 'created') ? 201 : 200).json({ items });
  });

  router.post('/v1/ingest/alertmanager', ingest, jsonBody, async (req, res) => {
    const payload = parseOrThrow(AlertmanagerPayload, req.body ?? {}, 'BWK_INGEST_BAD_FIELD');
    res.json(await cases.recordAlertmanager(payload, req.principal?.name ?? 'alertmanager'));
  });

  router.get('/v1/alerts', read, async (req, res) => {
    const p = parseParams(AlertListParams, req.query);
    const page = await cases.listAlerts({
      filter: filterOf({ status: p.status, severity: p.severity, source: p.source, 'rule.id': p.rule, incident_id: p.incident }),
      size: p.size,
      ...(p.cursor ? { cursor: p.cursor } : {}),
    });
    res.json({ items: page.items.map(({ record, version }) => ({ ...record, version })), cursor: page.cursor });
  });

  router.get('/v1/alerts/:id', read, async (req, res) => {
    const found = await cases.getAlert(String(req.params.id));
    if (!found) throw new BulwarkError('BWK_NOT_FOUND', `no alert ${JSON.stringify(req.params.id)}`, { id: req.params.id });
    res.setHeader('ETag', `"${found.version}"`);
    res.json({ ...found.record, version: found.version });
  });

  return router;
}

/** One alert or a list; every alert is checked before any is recorded, so a bad field stores nothing. */
function alertInputs(body: unknown): AlertInput[] {
  if (body === undefined || body === null || typeof body !== 'object') {
    throw new BulwarkError('BWK_INGEST_BAD_FIELD', 'send an alert object or a list of alerts as JSON', { field: '(body)' });
  }
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw new BulwarkError('BWK_INGEST_EMPTY', 'the list holds no alerts');
  if (list.length > MAX_ALERTS_PER_REQUEST) {
    throw new BulwarkError('BWK_INGEST_BAD_FIELD', `at most ${MAX_ALERTS_PER_REQUEST} alerts per request`, { field: '(body)' });
  }
  return list.map((item, i) => {
    parseOrThrow(AlertSchema as z.ZodType, item, 'BWK_INGEST_BAD_FIELD', Array.isArray(body) ? String(i) : '');
    return item as AlertInput;
  });
}
