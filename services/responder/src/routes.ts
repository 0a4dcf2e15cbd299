/**
 * The responder's API (docs/ARCHITECTURE.md, "Response"): playbooks and actions to look at, runs to start (or dry-run),
 * list, read, approve, reject, cancel and undo, and the blast-radius breaker. Reads need `read`; starting, cancelling
 * and undoing need `respond`; deciding a step needs `approve` (and one of the approver scopes its playbook names), and
 * never from the run's requester ("Separation of duties"); resetting the breaker needs `admin`. Runs are changed only
 * through these transitions, and the audit trail has no write route at all.
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { ACTIONS } from '@bulwark/actions';
import { parseOrThrow } from '@bulwark/cases';
import type { ResponderHttpDeps } from '@bulwark/runtime';
import { runView } from '@bulwark/playbooks';
import { BulwarkError, RunDecisionBody, RunPlaybookBody, RunStatuses, type Alert, type Incident, type RunRecord } from '@bulwark/schema';
import type { Responder } from './responder.js';

const jsonBody = express.json({ limit: '256kb', type: () => true });

const RunListParams = z.strictObject({
  status: z.enum(RunStatuses).optional(),
  playbook: z.string().min(1).max(100).optional(),
  incident_id: z.string().min(1).max(512).optional(),
  size: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).max(4096).optional(),
});

/** The calling token as a person: its name (a person may hold several tokens of one name), id and scopes. */
function principalOf(req: express.Request): { actor: string; tokenId: string; scopes: string[] } {
  const principal = req.principal!;
  return { actor: principal.name, tokenId: principal.tokenId, scopes: principal.scopes };
}

export function responderRouter(deps: ResponderHttpDeps, responder: Responder): Router {
  const router = Router();
  const read = deps.auth.require('read');
  const respond = deps.auth.require('respond');
  const approve = deps.auth.require('approve');
  const admin = deps.auth.require('admin');
  const { engine } = responder;

  router.get('/v1/playbooks', read, (_req, res) => {
    res.json({
      items: [...responder.playbooks.values()].map((p) => ({
        name: p.name,
        description: p.description,
        enabled: p.enabled,
        trigger: p.trigger ?? null,
        inputs: p.inputs,
        separation_of_duties: p.separation_of_duties,
        steps: p.steps.map((s) => ({ id: s.id, action: s.action, approval: s.approval === 'auto' ? 'auto' : 'required' })),
        file: p.file,
        digest: p.digest,
      })),
    });
  });

  router.get('/v1/actions', read, (_req, res) => {
    res.json({
      items: [...ACTIONS.values()].map((a) => ({
        name: a.name,
        description: a.description,
        params: z.toJSONSchema(a.params, { io: 'input', unrepresentable: 'any' }),
        rbac: a.rbac,
        limited: a.limited !== false,
        example: a.example,
      })),
    });
  });

  router.post('/v1/playbooks/:name/run', respond, jsonBody, async (req, res) => {
    const body = parseOrThrow(RunPlaybookBody, req.body ?? {});
    const alert = body.alert_id ? ((await deps.cases.get<Alert>('alerts', body.alert_id))?.record ?? null) : null;
    if (body.alert_id && !alert) throw new BulwarkError('BWK_NOT_FOUND', `no alert ${JSON.stringify(body.alert_id)}`, { field: 'alert_id' });
    const incidentId = body.incident_id ?? alert?.incident_id ?? undefined;
    const incident = incidentId ? ((await deps.cases.get<Incident>('incidents', incidentId))?.record ?? null) : null;
    if (body.incident_id && !incident) throw new BulwarkError('BWK_NOT_FOUND', `no incident ${JSON.stringify(body.incident_id)}`, { field: 'incident_id' });
    const who = principalOf(req);
    const run = await engine.start(String(req.params.name), { inputs: body.inputs, dryRun: body.dry_run, actor: who.actor, tokenId: who.tokenId, alert, incident });
    res.status(body.dry_run ? 200 : 202).json(runView(run));
  });

  router.get('/v1/runs', read, async (req, res) => {
    const p = parseOrThrow(RunListParams, req.query, 'BWK_BAD_PARAM');
    const filter: Record<string, string> = { record_type: 'run' };
    if (p.status) filter.status = p.status;
    if (p.playbook) filter.playbook = p.playbook;
    if (p.incident_id) filter['trigger.incident_id'] = p.incident_id;
    const page = await deps.cases.query<RunRecord>('runs', { filter, sort: { field: 'created_at', order: 'desc' }, size: p.size, ...(p.cursor ? { cursor: p.cursor } : {}) });
    res.json({ items: page.items.map(({ record }) => runView(record)), cursor: page.cursor });
  });

  router.get('/v1/runs/:id', read, async (req, res) => {
    res.json(runView((await engine.journal.require(String(req.params.id))).record));
  });

  for (const decision of ['approve', 'reject'] as const) {
    router.post(`/v1/runs/:id/${decision}`, approve, jsonBody, async (req, res) => {
      const body = parseOrThrow(RunDecisionBody, req.body ?? {});
      const run = await engine.decide(String(req.params.id), decision === 'approve' ? 'approved' : 'rejected', principalOf(req), body.comment, body.step);
      res.json(runView(run));
    });
  }

  router.post('/v1/runs/:id/cancel', respond, jsonBody, async (req, res) => {
    parseOrThrow(RunDecisionBody, req.body ?? {});
    res.json(runView(await engine.cancel(String(req.params.id), principalOf(req).actor)));
  });

  router.post('/v1/runs/:id/undo', respond, jsonBody, async (req, res) => {
    parseOrThrow(RunDecisionBody, req.body ?? {});
    res.status(202).json(runView(await engine.undo(String(req.params.id), principalOf(req).actor)));
  });

  router.get('/v1/responder/status', read, async (_req, res) => {
    res.json({ playbooks: responder.playbooks.size, breaker: await engine.blastRadius.state() });
  });

  // Closing the breaker lets every waiting containment go ahead: an administrator's decision, not an operator's.
  router.post('/v1/responder/breaker/reset', admin, async (req, res) => {
    const who = principalOf(req);
    const before = await engine.blastRadius.state();
    await engine.blastRadius.reset();
    deps.logger.warn({ actor: who.actor, token: who.tokenId, open: before.open }, 'blast-radius breaker reset');
    await deps.cases.append('audit', {
      id: `aud-breaker-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
      at: new Date().toISOString(),
      actor: who.actor,
      actor_token: who.tokenId,
      summary: `breaker reset by ${who.actor} (was open for: ${before.open.join(', ') || 'nothing'})`,
      action: 'responder.breaker_reset',
      collection: 'runs',
      target_id: 'limiter:responder',
    });
    res.json({ breaker: await engine.blastRadius.state() });
  });

  return router;
}
