/**
 * The incident report as one self-contained HTML page. Every value is escaped as text (`& < > " '`), so a log line or
 * an alert annotation holding markup shows as the characters it is. The page loads nothing: no script at all, no
 * external resource, one `<style>` element allowed by its hash in the page's own Content-Security-Policy (the same
 * policy the API sends as a header), so the file opened from a disk later is as locked down as when it was served.
 */
import { createHash } from 'node:crypto';
import type { IncidentReport } from './incident-report.js';
import type { TimelineLane } from './incident-timeline.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value content. */
export function htmlText(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const STYLE = [
  'body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;background:#fff}',
  'h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ccd}h3{font-size:1.05rem}',
  'table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}',
  'th{background:#f2f4f8}td{overflow-wrap:anywhere}code{font-family:ui-monospace,monospace;font-size:.9em}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}dd{margin:0}',
  '.truncated{color:#a35200}',
].join('');

/** The policy of the page: nothing but its own style element. */
export const REPORT_HTML_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; img-src 'none'; base-uri 'none'; form-action 'none'`;

const h = htmlText;
const orNone = (value: string | null | undefined): string => (value ? h(value) : '—');
const code = (value: string): string => `<code>${h(value)}</code>`;

function row(cells: string[], header = false): string {
  const tag = header ? 'th' : 'td';
  return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
}

function lane(l: TimelineLane): string {
  const title = `<h3 id="lane-${h(l.id)}">${h(l.title)} (${l.items.length})${l.truncated ? ' <span class="truncated">truncated</span>' : ''}</h3>`;
  if (l.items.length === 0) return `${title}<p>Nothing in this lane.</p>`;
  const rows = l.items.map((item) => {
    const refs = [
      item.event_id ? `event ${code(item.event_id)}` : '',
      item.alert_id ? `alert ${code(item.alert_id)}` : '',
      item.run_id ? `run ${code(item.run_id)}` : '',
      item.audit_id ? `audit ${code(item.audit_id)}` : '',
    ].filter(Boolean);
    return row([`<time datetime="${h(item.at)}">${h(item.at)}</time>`, h(item.kind), h(item.source), h(item.summary), refs.join('<br>')]);
  });
  return `${title}<table>${row(['Time', 'Kind', 'Source', 'Summary', 'Records'], true)}${rows.join('')}</table>`;
}

export function renderReportHtml(report: IncidentReport): string {
  const i = report.incident;
  const t = report.timeline;
  const facts: Array<[string, string]> = [
    ['Incident', code(i.id)],
    ['Severity', h(i.severity)],
    ['Status', h(i.status)],
    ['Assignee', orNone(i.assignee)],
    ['Entity', `${h(i.entity.kind)} ${h(i.entity.namespace ? `${i.entity.namespace}/${i.entity.value}` : i.entity.value)}`],
    ['Alerts', String(i.alert_count)],
    ['First seen', h(i.first_seen)],
    ['Last seen', h(i.last_seen)],
    ['Tags', i.tags.length ? i.tags.map(h).join(', ') : '—'],
    ['Resolution', orNone(i.resolution)],
    ...(i.merged_from.length ? [['Merged from', i.merged_from.map(code).join(', ')] as [string, string]] : []),
    ...(i.merged_into ? [['Merged into', code(i.merged_into)] as [string, string]] : []),
    ['Report generated', h(report.generated_at)],
  ];
  const decisions = report.decisions.length
    ? `<table>${row(['Time', 'Decision', 'By', 'Run / step', 'Requested by', 'Waited for', 'Comment'], true)}${report.decisions
        .map((d) => row([h(d.at), h(d.decision), h(d.by), `${code(d.run_id)} / ${code(d.step_id)} (${h(d.playbook)})`, orNone(d.requested_by), orNone(d.reason), orNone(d.comment)]))
        .join('')}</table>`
    : '<p>No decisions were taken.</p>';
  const actions = report.actions.length
    ? report.actions
        .map((a) => {
          const head = `<h3>Run ${code(a.run_id)}: ${h(a.playbook)}${a.dry_run ? ' (dry run)' : ''}</h3><p>Status ${h(a.status)}; requested by ${h(a.requested_by)}; started ${h(a.started_at)}; finished ${orNone(a.finished_at)}${a.undo_requested_by ? `; undo requested by ${h(a.undo_requested_by)}` : ''}.</p>`;
          const steps = a.steps.map((s) =>
            row([code(s.id), h(s.action), h(s.status), orNone(s.summary), orNone(s.approved_by), orNone(s.error), s.undo_summary ? `undone: ${h(s.undo_summary)}` : s.undoable ? 'can be undone' : '—']),
          );
          return `${head}<table>${row(['Step', 'Action', 'Outcome', 'Summary', 'Approved by', 'Error', 'Undo'], true)}${steps.join('')}</table>`;
        })
        .join('')
    : '<p>No response actions ran.</p>';
  const comments = i.comments.length ? `<h2>Comments</h2><ul>${i.comments.map((c) => `<li>${h(c.at)} · ${h(c.author)}: ${h(c.text)}</li>`).join('')}</ul>` : '';
  const entities = t.entities.length ? t.entities.map((e) => `${h(e.kind)} ${code(e.namespace ? `${e.namespace}/${e.value}` : e.value)}`).join('; ') : 'none';
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${h(REPORT_HTML_CSP)}">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>Incident report: ${h(i.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<h1>Incident report: ${h(i.title)}</h1>`,
    `<dl>${facts.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join('')}</dl>`,
    '<h2>Timeline</h2>',
    `<p>Window ${h(t.window.from)} to ${h(t.window.to)}. Entities: ${entities}.</p>`,
    ...t.lanes.map(lane),
    '<h2>Decisions</h2>',
    decisions,
    '<h2>Actions</h2>',
    actions,
    comments,
    '</body></html>',
    '',
  ].join('\n');
}
