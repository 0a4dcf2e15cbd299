/**
 * Every metric Bulwark exports, described once (docs/ARCHITECTURE.md, "Self-describing components"): its name, type,
 * help, labels with their bounds (labels.ts), the services that emit it, and whether it is counted as things happen
 * or read when Prometheus scrapes. Registries are built from this catalogue, the README's metrics table is generated
 * from it (`npm run docs:generate`), and a test checks that the shipped alert rules and dashboard name only metrics
 * a running Bulwark really serves.
 */
import { AlertStatuses, ErrorCatalogue, IncidentStatuses, RunStatuses, SourceKinds } from '@bulwark/schema';
import { closed, HTTP_METHODS, open, STATUS_CLASSES, type LabelBound } from './labels.js';

/** The processes of scale mode; `npm start` (all-in-one) emits every metric. */
export const SERVICES = ['collector', 'api', 'correlator', 'responder'] as const;
export type ServiceName = (typeof SERVICES)[number];
/** Metrics every process emits (HTTP, stores), whatever services it runs. */
export const EVERY_SERVICE: readonly ServiceName[] = SERVICES;

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labels: Readonly<Record<string, LabelBound>>;
  readonly services: readonly ServiceName[];
  /** `event`: updated as things happen; `scrape`: read from a store or a component when Prometheus scrapes. */
  readonly updated: 'event' | 'scrape';
  /** Histogram buckets, in the metric's unit. */
  readonly buckets?: readonly number[];
}

const source = closed(SourceKinds, 'source kind');
const errorCode = closed(Object.keys(ErrorCatalogue), 'error code from the catalogue');
const group = open(20, 'bus consumer group (configuration)');
const storeKind = closed(['log', 'cases', 'tokens'], 'store port');
const operation = open(40, "store port method (Bulwark's code)");
/** Seconds: from a sub-millisecond SQLite read to a 30 s engine timeout. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function metric<const D extends MetricDefinition>(definition: D): D {
  return Object.freeze(definition);
}

export const METRICS = {
  ingestEvents: metric({
    name: 'bulwark_ingest_events_total', type: 'counter', updated: 'event', services: ['collector'],
    help: 'Events decoded and stored by the collector (a retried batch counts again), by the source kind its route speaks for.',
    labels: { source },
  }),
  ingestBytes: metric({
    name: 'bulwark_ingest_bytes_total', type: 'counter', updated: 'event', services: ['collector'],
    help: 'Request body bytes received on ingest routes, as sent (before decompression), by source kind.',
    labels: { source },
  }),
  ingestRejectedRecords: metric({
    name: 'bulwark_ingest_rejected_records_total', type: 'counter', updated: 'event', services: ['collector'],
    help: 'Records of accepted requests that were refused (the good ones were stored), by source kind and error code.',
    labels: { source, reason: errorCode },
  }),
  ingestRejectedRequests: metric({
    name: 'bulwark_ingest_rejected_requests_total', type: 'counter', updated: 'event', services: ['collector'],
    help: 'Ingest requests refused whole (no token, wrong scope or source, too large, unreadable, store or bus down), by source kind and error code.',
    labels: { source, reason: errorCode },
  }),
  ingestLastEvent: metric({
    name: 'bulwark_ingest_last_event_timestamp_seconds', type: 'gauge', updated: 'event', services: ['collector'],
    help: 'Unix time the collector last stored an event of this source kind: a silent source shows as a growing age.',
    labels: { source },
  }),
  httpDuration: metric({
    name: 'bulwark_http_request_duration_seconds', type: 'histogram', updated: 'event', services: EVERY_SERVICE,
    help: 'HTTP request duration, by route template (unmatched paths are "unmatched"), method and status class.',
    labels: { route: open(150, "route template (Bulwark's routes)"), method: closed(HTTP_METHODS, 'HTTP method'), status_class: closed(STATUS_CLASSES, 'status class') },
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  storeDuration: metric({
    name: 'bulwark_store_operation_duration_seconds', type: 'histogram', updated: 'event', services: EVERY_SERVICE,
    help: 'Duration of store operations (log store, case store, token store), by store and operation.',
    labels: { store: storeKind, operation },
    buckets: LATENCY_BUCKETS,
  }),
  storeErrors: metric({
    name: 'bulwark_store_errors_total', type: 'counter', updated: 'event', services: EVERY_SERVICE,
    help: 'Store operations that failed, by store, operation and error code.',
    labels: { store: storeKind, operation, code: errorCode },
  }),
  busDeliveryLag: metric({
    name: 'bulwark_bus_delivery_lag_seconds', type: 'histogram', updated: 'event', services: ['correlator'],
    help: 'Time from a batch being stored and published to its delivery to a consumer of the group: how far detection lags ingest.',
    labels: { group },
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
  }),
  busRedeliveries: metric({
    name: 'bulwark_bus_redeliveries_total', type: 'counter', updated: 'event', services: ['correlator'],
    help: 'Batches delivered again after a consumer failed them or died holding them.',
    labels: { group },
  }),
  correlatorEvents: metric({
    name: 'bulwark_correlator_events_total', type: 'counter', updated: 'event', services: ['correlator'],
    help: 'Events in batches the correlator acknowledged (evaluated or dead-lettered); rate() is its events per second.',
    labels: {},
  }),
  correlatorBatchFailures: metric({
    name: 'bulwark_correlator_batch_failures_total', type: 'counter', updated: 'event', services: ['correlator'],
    help: 'Batches the correlator gave back to the bus for redelivery (an outage of the store or Redis).',
    labels: {},
  }),
  correlatorDeadLettered: metric({
    name: 'bulwark_correlator_dead_lettered_events_total', type: 'counter', updated: 'event', services: ['correlator'],
    help: 'Events set aside in the dead-letter after bounded retries (GET /v1/dead-letter).',
    labels: {},
  }),
  ruleMatches: metric({
    name: 'bulwark_correlator_rule_matches_total', type: 'counter', updated: 'event', services: ['correlator'],
    help: 'Events a rule matched, and correlations completed, by rule id (from the loaded rule files).',
    labels: { rule: open(2000, 'rule id (the loaded rule files)') },
  }),
  alertsRecorded: metric({
    name: 'bulwark_correlator_alerts_total', type: 'counter', updated: 'event', services: ['correlator'],
    help: 'Alerts the correlator recorded (repeats of a redelivery included; suppression counts them on the open alert).',
    labels: {},
  }),
  evaluationDuration: metric({
    name: 'bulwark_correlator_batch_evaluation_seconds', type: 'histogram', updated: 'event', services: ['correlator'],
    help: 'Time to evaluate one delivered batch: rules, correlations and alert writes.',
    labels: {},
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  }),
  alerts: metric({
    name: 'bulwark_alerts', type: 'gauge', updated: 'scrape', services: ['api'],
    help: 'Alerts in the case store, by status.',
    labels: { status: closed(AlertStatuses, 'alert status') },
  }),
  incidents: metric({
    name: 'bulwark_incidents', type: 'gauge', updated: 'scrape', services: ['api'],
    help: 'Incidents in the case store, by status.',
    labels: { status: closed(IncidentStatuses, 'incident status') },
  }),
  playbookRuns: metric({
    name: 'bulwark_playbook_runs_total', type: 'counter', updated: 'event', services: ['responder'],
    help: 'Playbook runs that ended, by playbook and final status.',
    labels: { playbook: open(200, 'playbook name (the loaded playbooks)'), status: closed(RunStatuses, 'run status') },
  }),
  playbookActions: metric({
    name: 'bulwark_playbook_actions_total', type: 'counter', updated: 'event', services: ['responder'],
    help: 'Playbook steps that ended, by action and result.',
    labels: { action: open(200, "action name (Bulwark's action registry)"), result: closed(['succeeded', 'failed', 'rejected', 'undone'], 'step result') },
  }),
  approvalsWaiting: metric({
    name: 'bulwark_approvals_waiting', type: 'gauge', updated: 'scrape', services: ['responder'],
    help: 'Runs waiting for a person to approve or reject a step.',
    labels: {},
  }),
  approvalOldestWait: metric({
    name: 'bulwark_approvals_oldest_waiting_seconds', type: 'gauge', updated: 'scrape', services: ['responder'],
    help: 'How long the oldest run waiting for approval has waited (0 when none waits).',
    labels: {},
  }),
  breakerOpen: metric({
    name: 'bulwark_responder_breaker_open', type: 'gauge', updated: 'scrape', services: ['responder'],
    help: 'Open blast-radius circuit breakers: scope "overall" (every playbook waits for a person) or "playbook" (how many playbooks).',
    labels: { scope: closed(['overall', 'playbook'], 'breaker scope') },
  }),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;
export type LabelsOf<K extends MetricKey> = { readonly [L in keyof (typeof METRICS)[K]['labels']]: string | number };
export type KeyOfType<T extends MetricType> = { [K in MetricKey]: (typeof METRICS)[K]['type'] extends T ? K : never }[MetricKey];

/** The catalogue's metrics that `service` emits (in catalogue order). */
export function metricsOf(service: ServiceName): MetricKey[] {
  return (Object.keys(METRICS) as MetricKey[]).filter((key) => (METRICS[key].services as readonly string[]).includes(service));
}
