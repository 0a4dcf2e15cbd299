/**
 * The incident timeline Bulwark assembles and the incident report (docs/ARCHITECTURE.md, "Alerts and incidents"):
 * `GET /v1/incidents/:id/timeline` answers the lanes — alerts, the evidence and surrounding events per source, the
 * response actions with their audit records, the incident's changes — and `GET /v1/incidents/:id/report` exports the
 * incident with that timeline, its decisions and actions as Markdown, HTML or JSON. Both need `read`.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import {
  buildIncidentReport, renderReportHtml, renderReportMarkdown, assembleIncidentTimeline, DEFAULT_PER_LANE, DEFAULT_TIMELINE_WINDOW_MS,
  MAX_PER_LANE, REPORT_HTML_CSP, type CaseService, type TimelineOptions,
} from '@bulwark/cases';
import type { ApiDeps } from '@bulwark/runtime';
import { parseDuration, parseParams } from './params.js';

/** A day either side: a wider window is a search, not an incident's surroundings. */
const MAX_WINDOW_MS = 24 * 3_600_000;

const single = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (Array.isArray(v) ? v[v.length - 1] : v), schema);

const TimelineParams = z.object({
  window: single(
    z
      .string()
      .transform((v, ctx) => {
        const ms = parseDuration(v);
        if (!ms || ms > MAX_WINDOW_MS) {
          ctx.addIssue({ code: 'custom', message: 'must be a duration such as 5m, 15m or 1h, at most 24h' });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
  ),
  per_lane: single(z.coerce.number().int().min(1).max(MAX_PER_LANE).default(DEFAULT_PER_LANE)),
});

const ReportParams = TimelineParams.extend({ format: single(z.enum(['md', 'html', 'json']).default('md')) });

const MEDIA_TYPES = { md: 'text/markdown; charset=utf-8', html: 'text/html; charset=utf-8', json: 'application/json; charset=utf-8' } as const;

function optionsOf(p: { window?: number | undefined; per_lane: number }): TimelineOptions {
  return { windowMs: p.window ?? DEFAULT_TIMELINE_WINDOW_MS, perLane: p.per_lane };
}

/** An incident id in a file name: only characters no file system or header parser reads specially. */
const fileSafe = (id: string): string => id.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 200);

function attachment(res: Response, id: string, ext: string): void {
  res.setHeader('Content-Disposition', `attachment; filename=incident-${fileSafe(id)}.${ext}`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
}

export function incidentTimelineRouter(deps: ApiDeps, cases: CaseService): Router {
  const router = Router();
  const read = deps.auth.require('read');
  const stores = { cases: deps.cases, events: deps.store };

  router.get('/v1/incidents/:id/timeline', read, async (req, res) => {
    const p = parseParams(TimelineParams, req.query);
    const incident = await cases.getIncident(String(req.params.id));
    res.json(await assembleIncidentTimeline(stores, incident.record, optionsOf(p)));
  });

  router.get('/v1/incidents/:id/report', read, async (req, res) => {
    const p = parseParams(ReportParams, req.query);
    const incident = await cases.getIncident(String(req.params.id));
    const report = await buildIncidentReport(stores, incident.record, optionsOf(p));
    attachment(res, incident.record.id, p.format);
    res.setHeader('Content-Type', MEDIA_TYPES[p.format]);
    if (p.format === 'html') {
      // The page's own policy, also as a header: whoever opens it in a browser from here runs nothing.
      res.setHeader('Content-Security-Policy', `${REPORT_HTML_CSP}; frame-ancestors 'none'`);
      res.send(renderReportHtml(report));
    } else if (p.format === 'md') {
      res.send(renderReportMarkdown(report));
    } else {
      res.send(`${JSON.stringify(report, null, 2)}\n`);
    }
  });

  return router;
}
