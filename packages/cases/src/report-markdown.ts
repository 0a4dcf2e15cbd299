/**
 * The incident report as Markdown. Every value is text someone outside may have written (a log line, an alert's
 * annotation, a comment), so each is flattened to one line and every ASCII punctuation character is backslash-escaped
 * (CommonMark §2.4 allows it for all of them): no value can open a link, an image, an autolink, raw HTML, an entity
 * reference, emphasis, a heading or a table cell; only the report's own structure is Markdown.
 */
import type { IncidentReport } from './incident-report.js';
import type { TimelineLane } from './incident-timeline.js';

/** One line of literal text in Markdown. */
export function markdownText(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

const md = markdownText;
const orNone = (value: string | null | undefined): string => (value ? md(value) : '\\-');

function lane(l: TimelineLane): string[] {
  const out = [`### ${md(l.title)} (${l.items.length}${l.truncated ? ', truncated' : ''})`, ''];
  if (l.items.length === 0) out.push('Nothing in this lane.');
  for (const item of l.items) {
    const refs = [
      item.event_id ? `event ${md(item.event_id)}` : null,
      item.alert_id ? `alert ${md(item.alert_id)}` : null,
      item.run_id ? `run ${md(item.run_id)}` : null,
      item.audit_id ? `audit ${md(item.audit_id)}` : null,
    ].filter(Boolean);
    out.push(`- ${md(item.at)} · **${md(item.kind)}** · ${md(item.source)} · ${md(item.summary)}${refs.length ? ` · ${refs.join(', ')}` : ''}`);
  }
  out.push('');
  return out;
}

export function renderReportMarkdown(report: IncidentReport): string {
  const i = report.incident;
  const t = report.timeline;
  const out: string[] = [
    `# Incident report: ${md(i.title)}`,
    '',
    `- **Incident:** ${md(i.id)}`,
    `- **Severity:** ${md(i.severity)}`,
    `- **Status:** ${md(i.status)}`,
    `- **Assignee:** ${orNone(i.assignee)}`,
    `- **Entity:** ${md(i.entity.kind)} ${md(i.entity.namespace ? `${i.entity.namespace}/${i.entity.value}` : i.entity.value)}`,
    `- **Alerts:** ${i.alert_count}`,
    `- **First seen:** ${md(i.first_seen)}`,
    `- **Last seen:** ${md(i.last_seen)}`,
    `- **Tags:** ${i.tags.length ? i.tags.map(md).join(', ') : '\\-'}`,
    `- **Resolution:** ${orNone(i.resolution)}`,
    ...(i.merged_from.length ? [`- **Merged from:** ${i.merged_from.map(md).join(', ')}`] : []),
    ...(i.merged_into ? [`- **Merged into:** ${md(i.merged_into)}`] : []),
    `- **Report generated:** ${md(report.generated_at)}`,
    '',
    '## Timeline',
    '',
    `Window ${md(t.window.from)} to ${md(t.window.to)}.`,
    '',
    `Entities: ${t.entities.length ? t.entities.map((e) => `${md(e.kind)} ${md(e.namespace ? `${e.namespace}/${e.value}` : e.value)}`).join('; ') : 'none'}.`,
    '',
    ...t.lanes.flatMap(lane),
    '## Decisions',
    '',
  ];
  if (report.decisions.length === 0) out.push('No decisions were taken.');
  for (const d of report.decisions) {
    out.push(
      `- ${md(d.at)} · **${md(d.decision)}** by ${md(d.by)}: step ${md(d.step_id)} of run ${md(d.run_id)} (${md(d.playbook)}), ` +
        `requested by ${orNone(d.requested_by)}, waited for ${orNone(d.reason)}; comment: ${orNone(d.comment)}`,
    );
  }
  out.push('', '## Actions', '');
  if (report.actions.length === 0) out.push('No response actions ran.');
  for (const a of report.actions) {
    out.push(
      `### Run ${md(a.run_id)}: ${md(a.playbook)}${a.dry_run ? ' (dry run)' : ''}`,
      '',
      `Status ${md(a.status)}; requested by ${md(a.requested_by)}; started ${md(a.started_at)}; finished ${orNone(a.finished_at)}` +
        `${a.undo_requested_by ? `; undo requested by ${md(a.undo_requested_by)}` : ''}.`,
      '',
    );
    for (const s of a.steps) {
      const undo = s.undo_summary ? `undone: ${md(s.undo_summary)}` : s.undoable ? 'can be undone' : 'no undo';
      out.push(
        `- step ${md(s.id)} (${md(s.action)}): **${md(s.status)}** · ${orNone(s.summary)}` +
          `${s.approved_by ? ` · approved by ${md(s.approved_by)}` : ''}${s.error ? ` · error: ${md(s.error)}` : ''} · ${undo}`,
      );
    }
    out.push('');
  }
  if (i.comments.length) {
    out.push('## Comments', '');
    for (const c of i.comments) out.push(`- ${md(c.at)} · ${md(c.author)}: ${md(c.text)}`);
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
