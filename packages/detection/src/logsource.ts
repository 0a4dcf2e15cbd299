/**
 * Which events a rule sees. A Sigma `logsource` (rules spec v2, "LogSource": category, product, service) names a
 * kind of log abstractly; Bulwark events name theirs in `event.dataset`. This table maps one to the other. It is
 * configuration: deployments extend or replace it (see README "Log sources"). A rule whose logsource is in no
 * entry is rejected at compile time rather than silently never matching.
 */

/** One row: a logsource (the attributes a rule must have, exactly) and the datasets its rules run on. */
export interface LogsourceMapping {
  category?: string;
  product?: string;
  service?: string;
  datasets: string[];
}

/** The logsource attributes that select datasets ("they are evaluated automatically by the converters"). */
export interface Logsource {
  category?: string | undefined;
  product?: string | undefined;
  service?: string | undefined;
}

/**
 * Defaults, matching the datasets `packages/ingest` produces:
 * - Kubernetes audit (`product: kubernetes, service: audit`, also with SigmaHQ's `category: application`).
 * - Falco alerts (`product: falco`); Linux process creation comes from Falco's syscall rules in a container fleet.
 * - Container logs (`product: container`, `product: kubernetes, service: container_logs`), for rules that search
 *   log lines (keywords in `message`); `product: container` also reads OpenTelemetry log records (`otel.logs`): what
 *   the applications in those containers log through an SDK or a Collector is the same kind of line.
 * - Kubernetes Events (`product: kubernetes, service: events`), from the collector's watch of `events.k8s.io/v1`.
 */
export const DEFAULT_LOGSOURCES: readonly LogsourceMapping[] = Object.freeze([
  { product: 'kubernetes', service: 'audit', datasets: ['kubernetes.audit'] },
  { category: 'application', product: 'kubernetes', service: 'audit', datasets: ['kubernetes.audit'] },
  { product: 'falco', datasets: ['falco.alerts'] },
  { category: 'process_creation', product: 'linux', datasets: ['falco.alerts'] },
  { product: 'container', datasets: ['container.logs', 'kubernetes.container_logs', 'otel.logs'] },
  { product: 'kubernetes', service: 'container_logs', datasets: ['kubernetes.container_logs'] },
  { product: 'kubernetes', service: 'events', datasets: ['kubernetes.events'] },
]);

/**
 * Datasets for a logsource: the row whose category, product and service equal the rule's (an attribute a row
 * leaves out must be absent from the rule too), so a rule never runs on data it was not written for.
 * Values compare case-insensitively (the spec writes them in lower case). Undefined when no row matches.
 */
export function datasetsFor(logsource: Logsource, table: readonly LogsourceMapping[]): string[] | undefined {
  const norm = (s: string | undefined) => s?.toLowerCase();
  const row = table.find(
    (r) =>
      norm(r.category) === norm(logsource.category) &&
      norm(r.product) === norm(logsource.product) &&
      norm(r.service) === norm(logsource.service),
  );
  return row?.datasets;
}

export function describeLogsource(logsource: Logsource): string {
  const parts = (['category', 'product', 'service'] as const)
    .filter((k) => logsource[k] !== undefined)
    .map((k) => `${k}: ${logsource[k]}`);
  return `{${parts.join(', ')}}`;
}
