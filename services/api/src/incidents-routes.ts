/**
 * Incidents for people (docs/ARCHITECTURE.md, "Alerts and incidents"): list, read (with `version`, also as ETag), their
 * alerts, and the changes — acknowledge, assign, status and resolution, severity, comments, tags, merge — each against the
 * version the client read (`If-Match` or body `version`; 409 when stale). Reads need `read`, changes `respond`; every
 * change is audited.
 */
import express, { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import { AcknowledgeBody, AssignBody, CommentBody, MergeBody, SeverityBody, StatusBody, TagsBody, type Incident } from '@bulwark/schema';
import { parseOrThrow, type CaseService, type Change } from '@bulwark/cases';
import type { ApiDeps } from '@bulwark/runtime';
import type { Versioned } from '@bulwark/store';
import { parseParams } from './params.js';
import { AlertListParams, expectedVersionOf, filterOf, IncidentListParams } from './case-params.js';

const jsonBody = express.json({ limit: '256kb', type: () => true });

function sendIncident(res: Response, { record, version }: Versioned<Incident>): void {
  res.setHeader('ETag', `"${version}"`);
  res.json({ ...record, version });
}

function summary({ record: i, version }: Versioned<Incident>): Record<string, unknown> {
  return {
    id: i.id,
    title: i.title,
    severity: i.severity,
    status: i.status,
    alert_count: i.alert_count,
    assignee: i.assignee,
    tags: i.tags,
    entity: i.entity,
    first_seen: i.first_seen,
    last_seen: i.last_seen,
    merged_into: i.merged_into,
    version,
  };
}

export function incidentsRouter(deps: ApiDeps, cases: CaseService): Router {
  const router = Router();
  const read = deps.auth.require('read');
  const respond = deps.auth.require('respond');

  router.get('/v1/incidents', read, async (req, res) => {
    const p = parseParams(IncidentListParams, req.query);
    const page = await cases.listIncidents({
      filter: filterOf({ status: p.status, severity: p.severity, assignee: p.assignee, tags: p.tag, entity_key: p.entity }),
      size: p.size,
      ...(p.cursor ? { cursor: p.cursor } : {}),
    });
    res.json({ items: page.items.map(summary), cursor: page.cursor });
  });

  router.get('/v1/incidents/:id', read, async (req, res) => {
    sendIncident(res, await cases.getIncident(String(req.params.id)));
  });

  router.get('/v1/incidents/:id/alerts', read, async (req, res) => {
    const p = parseParams(AlertListParams.pick({ size: true, cursor: true }), req.query);
    const page = await cases.listIncidentAlerts(String(req.params.id), { size: p.size, ...(p.cursor ? { cursor: p.cursor } : {}) });
    res.json({ items: page.items.map(({ record, version }) => ({ ...record, version })), cursor: page.cursor });
  });

  /** One change route: parse the body, find the version to check, run the operation, answer the new incident. */
  function operation<S extends z.ZodType<{ version?: string | undefined }>>(
    name: string,
    schema: S,
    run: (change: Change, body: z.output<S>) => Promise<Versioned<Incident>>,
  ): void {
    router.post(`/v1/incidents/:id/${name}`, respond, jsonBody, async (req: Request, res: Response) => {
      const body = parseOrThrow(schema, req.body ?? {});
      const id = String(req.params.id);
      let expectedVersion = expectedVersionOf(req, body.version);
      if (expectedVersion === '*') expectedVersion = (await cases.getIncident(id)).version;
      sendIncident(res, await run({ id, expectedVersion, actor: req.principal?.name ?? 'unknown' }, body));
    });
  }

  operation('acknowledge', AcknowledgeBody, (c) => cases.acknowledge(c));
  operation('assign', AssignBody, (c, b) => cases.assign(c, b.assignee));
  operation('status', StatusBody, (c, b) => cases.setStatus(c, b.status, b.resolution));
  operation('severity', SeverityBody, (c, b) => cases.setSeverity(c, b.severity));
  operation('comments', CommentBody, (c, b) => cases.comment(c, b.text));
  operation('tags', TagsBody, (c, b) => cases.tag(c, b.add, b.remove));
  operation('merge', MergeBody, (c, b) => cases.merge(c, b.from, b.from_version));

  return router;
}
