/**
 * Writes deploy/kubernetes/components/monitoring/prometheus-rule.yaml from deploy/prometheus/bulwark-alerts.yaml, the
 * one source of Bulwark's alert rules: the Prometheus Operator's PrometheusRule carries the same `groups` under
 * `spec`, so a rule is edited in one place (`npm run docs:generate`; test/e2e/k8s-manifests.test.ts fails while the
 * two differ).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const source = 'deploy/prometheus/bulwark-alerts.yaml';
const target = 'deploy/kubernetes/components/monitoring/prometheus-rule.yaml';

const { groups } = parse(readFileSync(`${root}${source}`, 'utf8')) as { groups: unknown[] };
const rule = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'bulwark' }, spec: { groups } };
const header = [
  `# GENERATED from ${source} by \`npm run docs:generate\`: edit the rules there.`,
  '# Alerts about Bulwark itself for the Prometheus Operator (the `job` label is the Service name, bulwark-<component>).',
];
writeFileSync(`${root}${target}`, `${header.join('\n')}\n${stringify(rule, { lineWidth: 0 })}`);
console.log(`wrote ${target} (${groups.length} group(s))`);
