/** @bulwark/cases: alerts and incidents on the CaseStore port (docs/ARCHITECTURE.md, "Alerts and incidents"). */
export { CaseService, type AlertmanagerResult } from './service.js';
export type { CaseServiceOptions } from './context.js';
export { caseOptionsFromConfig } from './context.js';
export type { RecordResult, RecordOutcome } from './alerts.js';
export { MAX_ALERT_EVENT_IDS, MAX_SUPPRESSED_IDS } from './alerts.js';
export type { Change } from './incidents.js';
export type { Actor } from './common.js';
export { parseOrThrow, withConflictRetry } from './common.js';
export { AlertmanagerPayload, AlertmanagerAlert, fromAlertmanager, alertmanagerAlertId, fingerprintOf } from './alertmanager.js';
export { fitAlert, MAX_MAP_ENTRIES, type FittedAlert } from './fit.js';
export { receivedAt } from './received.js';
export {
  checkExternalAlert, externalProvenance, EXTERNAL_ALERT_SOURCES, EXTERNAL_UNTRUSTED, RESERVED_ALERT_ID_PREFIXES, RESERVED_RULE_ID_PREFIXES,
  type ExternalIntake,
} from './external.js';
export { MAX_BULK_ALERTS, BULK_CONFLICT_ATTEMPTS, type BulkAction, type BulkItem, type BulkOutcome, type BulkRequest } from './alert-triage.js';
export {
  assembleIncidentTimeline, DEFAULT_TIMELINE_WINDOW_MS, DEFAULT_PER_LANE, MAX_PER_LANE, MAX_EVIDENCE_EVENTS,
  type IncidentTimeline, type TimelineLane, type TimelineLaneId, type TimelineItem, type TimelineItemKind, type TimelineOptions, type TimelineStores,
} from './incident-timeline.js';
export { MAX_TIMELINE_ENTITIES, entityClause, surroundingQuery, type TimelineEntity, type TimelineEntityKind } from './timeline-entities.js';
export { buildIncidentReport, type IncidentReport, type ReportAction, type ReportDecision, type ReportStep } from './incident-report.js';
export { renderReportMarkdown, markdownText } from './report-markdown.js';
export { renderReportHtml, htmlText, REPORT_HTML_CSP } from './report-html.js';
