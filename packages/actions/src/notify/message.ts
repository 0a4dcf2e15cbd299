/**
 * The notification every channel renders: the incident a run is about (from `ctx.incidents`), the step's own title
 * and text, the link to the incident and the run. Webhook formats and e-mail each turn it into their shape.
 */
import type { ActionContext, IncidentSummary } from '../action.js';

export interface Notification {
  title: string;
  text?: string;
  incident: IncidentSummary | null;
  link?: string;
  run?: ActionContext['run'];
}

/** How many of the incident's latest alerts a message lists. */
export const MAX_ALERTS_SHOWN = 10;

export async function buildNotification(ctx: ActionContext, p: { title?: string | undefined; text?: string | undefined }): Promise<Notification> {
  const id = ctx.run?.incidentId;
  const incident = id && ctx.incidents ? await ctx.incidents.summary(id) : null;
  const link = id && ctx.incidentUrl ? ctx.incidentUrl(id) : undefined;
  const title = p.title ?? (incident ? `[${incident.severity}] ${incident.title}` : ctx.run ? `Bulwark: playbook ${ctx.run.playbook}` : 'Bulwark notification');
  return {
    title: oneLine(title),
    ...(p.text !== undefined ? { text: p.text } : {}),
    incident: incident ? { ...incident, alerts: incident.alerts.slice(0, MAX_ALERTS_SHOWN) } : null,
    ...(link ? { link } : {}),
    ...(ctx.run ? { run: ctx.run } : {}),
  };
}

export const oneLine = (s: string): string => s.replace(/[\r\n\t]+/g, ' ').trim();

/** Label/value pairs describing the incident, in display order. */
export function incidentFacts(i: IncidentSummary): [string, string][] {
  return [
    ['Severity', i.severity],
    ['Status', i.status],
    ['Entity', i.entity],
    ['Alerts', String(i.alert_count)],
    ['First seen', i.first_seen],
    ['Last seen', i.last_seen],
    ['Incident', i.id],
  ];
}

export const alertLine = (a: IncidentSummary['alerts'][number]): string => `${a.at} [${a.severity}] ${a.rule}`;

export function runLine(run: NonNullable<ActionContext['run']>): string {
  return `playbook ${run.playbook}, run ${run.id}, step ${run.step}`;
}

/** Plain text: the step's text, the incident's facts and latest alerts, the link. */
export function renderText(n: Notification): string {
  const lines = [n.title, ''];
  if (n.text) lines.push(n.text, '');
  if (n.incident) {
    for (const [k, v] of incidentFacts(n.incident)) lines.push(`${k}: ${v}`);
    if (n.incident.alerts.length) {
      lines.push('', 'Latest alerts:');
      for (const a of n.incident.alerts) lines.push(`- ${alertLine(a)}`);
    }
    lines.push('');
  }
  if (n.link) lines.push(`Open the incident: ${n.link}`);
  if (n.run) lines.push(`Sent by Bulwark (${runLine(n.run)})`);
  return lines.join('\n').trim() + '\n';
}
