/**
 * Alert intake and listing (docs/ARCHITECTURE.md, "Alerts and incidents"): `POST /v1/alerts` (our alert schema, one or
 * a list), `POST /v1/ingest/alertmanager` (Prometheus Alertmanager webhook, payload v4) — both idempotent on retries —
 * and `GET /v1/alerts`, `GET /v1/alerts/:id`; the console's triage (`/v1/alerts/groups`, `/v1/alerts/bulk`,
 * `/v1/alerts/:id/evidence`) is in alert-triage-routes.ts.
 *
 * Intake is its own scope, `alerts` ("Tokens and sources"): the `ingest` token a log shipper holds, often in a URL,
 * cannot post an alert. What is posted is recorded as external (see @bulwark/cases external.ts): it cannot claim to be
 * one of Bulwark's rules — the rule ids refused are those of the rules directory the correlator loads and of the
 * bundled rules — its times are clamped to the receive time plus `alerts.max_clock_skew`, and its entity, labels and
 * annotations are marked untrusted. A token restricted to `sources` posts to `/v1/alerts` only if granted `external`,
 * to the webhook only if granted `alertmanager` (403 BWK_AUTH_SOURCE_FORBIDDEN).
 */
import { readFileSync } from 'node:fs';
import express, { Router, type Request } from 'express';
import { BulwarkError } from '@bulwark/schema';
import { AlertmanagerPayload, parseOrThrow, type CaseService, type ExternalIntake } from '@bulwark/cases';
import { BUNDLED_RULES_DIR, deploymentRules, findRuleFiles, loadSigmaFiles } from '@bulwark/detection';
import { requireSource } from '@bulwark/http';
import type { ApiDeps } from '@bulwark/runtime';
import { parseParams } from './params.js';
import { AlertListParams, alertQueryOf } from './case-params.js';
import { alertGroups, alertEvidence, bulkTriage } from './alert-triage-routes.js';

/** The most alerts one request may carry; a larger backlog is sent in several requests. */
export const MAX_ALERTS_PER_REQUEST = 1000;

const jsonBody = express.json({ limit: '4mb', type: () => true });

export function alertsRouter(deps: ApiDeps, cases: CaseService): Router {
  const router = Router();
  const alerts = deps.auth.require('alerts');
  const read = deps.auth.require('read');
  const rulesDirs = [...new Set([deploymentRules(deps.config.detection).dir, BUNDLED_RULES_DIR])];
  let reserved: ReadonlySet<string> | undefined;
  const intakeOf = (req: Request, route: string): Omit<ExternalIntake, 'source'> => ({
    token: { id: req.principal?.tokenId ?? '', name: req.principal?.name ?? 'api' },
    route,
    reservedRuleIds: (reserved ??= reservedRuleIds(rulesDirs)),
    maxClockSkewMs: deps.config.alerts.max_clock_skew,
  });

  // A token restricted to `sources` may post here only if it may speak for what the route records.
  router.post('/v1/alerts', alerts, requireSource('/v1/alerts', ['external']), jsonBody, async (req, res) => {
    const inputs = alertInputs(req.body);
    const results = await cases.recordExternalAlerts(inputs, { ...intakeOf(req, '/v1/alerts'), source: 'external' }, { list: Array.isArray(req.body) });
    const items = results.map((result, i) => ({
      id: (inputs[i] as { id: string }).id,
      stored_as: result.alert.id,
      outcome: result.outcome,
      incident_id: result.incident_id,
      version: result.version,
      ...(result.alert.provenance?.truncated ? { truncated: result.alert.provenance.truncated } : {}),
    }));
    res.status(items.some((i) => i.outcome === 'created') ? 201 : 200).json({ items });
  });

  router.post('/v1/ingest/alertmanager', alerts, requireSource('/v1/ingest/alertmanager', ['alertmanager']), jsonBody, async (req, res) => {
    const payload = parseOrThrow(AlertmanagerPayload, req.body ?? {}, 'BWK_INGEST_BAD_FIELD');
    res.json(await cases.recordAlertmanager(payload, req.principal?.name ?? 'alertmanager', intakeOf(req, '/v1/ingest/alertmanager')));
  });

  router.get('/v1/alerts', read, async (req, res) => {
    const p = parseParams(AlertListParams, req.query);
    const page = await cases.listAlerts({
      ...alertQueryOf(p),
      size: p.size,
      ...(p.cursor ? { cursor: p.cursor } : {}),
    });
    res.json({ items: page.items.map(({ record, version }) => ({ ...record, version })), cursor: page.cursor });
  });

  // Before `/v1/alerts/:id`, which would take `groups` and `bulk` for ids.
  router.get('/v1/alerts/groups', read, alertGroups(cases));
  router.post('/v1/alerts/bulk', deps.auth.require('respond'), express.json({ limit: '1mb', type: () => true }), bulkTriage(cases));
  router.get('/v1/alerts/:id/evidence', read, alertEvidence(deps, cases));

  router.get('/v1/alerts/:id', read, async (req, res) => {
    const found = await cases.getAlert(String(req.params.id));
    if (!found) throw new BulwarkError('BWK_NOT_FOUND', `no alert ${JSON.stringify(req.params.id)}`, { id: req.params.id });
    res.setHeader('ETag', `"${found.version}"`);
    res.json({ ...found.record, version: found.version });
  });

  return router;
}

/** One alert or a list (each is checked by the case service before any is recorded, so a bad field stores nothing). */
function alertInputs(body: unknown): unknown[] {
  if (body === undefined || body === null || typeof body !== 'object') {
    throw new BulwarkError('BWK_INGEST_BAD_FIELD', 'send an alert object or a list of alerts as JSON', { field: '(body)' });
  }
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw new BulwarkError('BWK_INGEST_EMPTY', 'the list holds no alerts');
  if (list.length > MAX_ALERTS_PER_REQUEST) {
    throw new BulwarkError('BWK_INGEST_BAD_FIELD', `at most ${MAX_ALERTS_PER_REQUEST} alerts per request`, { field: '(body)' });
  }
  return list;
}

/**
 * What Bulwark's own rules are referenced by — id, name and title, as the correlator names a rule by the first it has
 * — across the rules directories: an external alert may not take any of them as its rule id. Read once, on the first
 * alert posted; a rule file that does not load is skipped here (the correlator reports it).
 */
function reservedRuleIds(dirs: readonly string[]): ReadonlySet<string> {
  const ids = new Set<string>();
  for (const dir of dirs) {
    let files: string[];
    try {
      files = findRuleFiles(dir);
    } catch {
      continue; // a rules directory that does not exist holds no rule to protect (the correlator refuses to start on it)
    }
    for (const file of files) {
      let loaded;
      try {
        loaded = loadSigmaFiles([{ file, source: readFileSync(file, 'utf8') }]);
      } catch {
        continue;
      }
      for (const rule of [...loaded.rules, ...loaded.correlations]) {
        for (const ref of [rule.id, rule.name, rule.title]) if (typeof ref === 'string' && ref) ids.add(ref);
      }
    }
  }
  return ids;
}

