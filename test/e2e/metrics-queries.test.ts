// services: process
/**
 * The shipped Prometheus alert rules (deploy/prometheus/bulwark-alerts.yaml) and Grafana dashboard
 * (deploy/grafana/bulwark-dashboard.json) query only what a running Bulwark serves: every expression parses with
 * Prometheus's own PromQL grammar (@prometheus-io/lezer-promql), and every metric it selects — with every label it
 * matches on — is in the real `/metrics` of `npm start` after traffic of several sources and an alert, so a renamed
 * metric or label fails here instead of leaving a silent alert or an empty panel. The rule file's shape is checked by
 * the real API server against the Prometheus Operator's CRD (test/e2e/k8s-manifests.test.ts); `npm run
 * check:promtool` also runs Prometheus's own `promtool check rules` (a long Go build, so not part of `npm test`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parser } from '@prometheus-io/lezer-promql';
import { parse as parseYaml } from 'yaml';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { falcoMinerEvent } from '../support/falco.js';
import { parseScrape, type Scrape } from '../support/scrape.js';
import { until } from '../support/until.js';

const root = new URL('../../', import.meta.url);
const RULES_FILE = fileURLToPath(new URL('deploy/prometheus/bulwark-alerts.yaml', root));
const DASHBOARD_FILE = fileURLToPath(new URL('deploy/grafana/bulwark-dashboard.json', root));

/** Series Prometheus makes itself for every target, not served by /metrics. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
/** Labels Prometheus adds to every series of a target, and a histogram's bucket bound. */
const TARGET_LABELS = new Set(['job', 'instance', 'le']);

interface Query {
  where: string;
  expr: string;
}

function ruleQueries(): Query[] {
  const file = parseYaml(readFileSync(RULES_FILE, 'utf8')) as { groups: Array<{ name: string; rules: Array<{ alert?: string; record?: string; expr: string }> }> };
  return file.groups.flatMap((g) => g.rules.map((r) => ({ where: `${RULES_FILE}: ${r.alert ?? r.record}`, expr: r.expr })));
}

/** Panel targets, and the metric a `label_values(metric, label)` variable reads (a Grafana function, not PromQL). */
function dashboardQueries(): Query[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ refId: string; expr: string }> }>;
    templating: { list: Array<{ name: string; definition?: string }> };
  };
  const panels = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: `${DASHBOARD_FILE}: ${p.title} (${t.refId})`, expr: t.expr })));
  const variables = dashboard.templating.list.flatMap((v) => {
    const m = /^label_values\((.+),\s*\w+\)$/.exec(v.definition ?? '');
    return m ? [{ where: `${DASHBOARD_FILE}: variable ${v.name}`, expr: m[1]! }] : [];
  });
  return [...panels, ...variables];
}

/** Grafana's interval variables become a duration PromQL accepts; `$job` only appears inside label values. */
function asPromQL(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m');
}

interface Selector {
  metric: string;
  labels: string[];
}

/** Parses `expr` with the PromQL grammar; returns its selectors, or the text of its syntax errors. */
function selectorsOf(expr: string): { selectors: Selector[]; errors: string[] } {
  const text = asPromQL(expr);
  const selectors: Selector[] = [];
  const errors: string[] = [];
  parser.parse(text).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: ${JSON.stringify(text.slice(Math.max(0, node.from - 20), node.to + 20))}`);
      if (node.name !== 'VectorSelector') return;
      const metric = node.node.getChild('Identifier');
      const labels: string[] = [];
      const matchers = node.node.getChild('LabelMatchers');
      if (matchers) {
        for (let m = matchers.firstChild; m; m = m.nextSibling) {
          const name = m.getChild('LabelName');
          if (name) labels.push(text.slice(name.from, name.to));
        }
      }
      if (metric) selectors.push({ metric: text.slice(metric.from, metric.to), labels });
    },
  });
  return { selectors, errors };
}

describe('the shipped alert rules and dashboard query only what /metrics serves', () => {
  const queries = [...ruleQueries(), ...dashboardQueries()];
  let bw: BulwarkProcess;
  let scrape: Scrape;

  before(async () => {
    bw = await startBulwark();
    const scraper = (await bw.mint('prometheus', ['metrics'])).token;
    const post = (path: string, body: unknown) =>
      bw.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // Traffic so that labelled series exist: logs with a bad record, a Falco miner (an alert and its runs), a refusal.
    await post('/v1/ingest/events', [{ message: 'hello' }, { message: 'bad', '@timestamp': 'never' }]);
    await post('/v1/ingest/falco', falcoMinerEvent('shop', 'shop-6d9f-abcde'));
    await bw.fetch('/v1/ingest/falco', { method: 'POST', token: null, body: '{}' });
    await until('the alert and the playbook runs it starts to finish', async () => {
      const runs = (await bw.get('/v1/runs')) as { items: Array<{ status: string }> };
      return runs.items.length > 0 && runs.items.some((r) => !['pending', 'running'].includes(r.status)) ? runs : null;
    }, 60_000);
    const res = await bw.fetch('/metrics', { token: scraper });
    assert.equal(res.status, 200);
    scrape = parseScrape(await res.text());
  });
  after(async () => bw?.stop());

  it('finds queries in both files', () => {
    assert.ok(ruleQueries().length >= 8, 'alert rules');
    assert.ok(dashboardQueries().length >= 20, 'dashboard targets');
  });

  it('every expression parses as PromQL', () => {
    const problems = queries.flatMap((q) => selectorsOf(q.expr).errors.map((e) => `${q.where}: ${e}`));
    assert.deepEqual(problems, []);
    assert.ok(selectorsOf('sum(rate(x[5m])').errors.length > 0, 'the parser reports a broken expression');
  });

  it('every metric and label a query selects is in the real /metrics output', () => {
    const names = scrape.names();
    const problems: string[] = [];
    for (const q of queries) {
      for (const { metric, labels } of selectorsOf(q.expr).selectors) {
        if (SYNTHETIC.has(metric)) continue;
        if (!names.has(metric)) {
          problems.push(`${q.where}: ${metric} is not served`);
          continue;
        }
        const served = new Set(scrape.series(metric.replace(/_(bucket|count|sum)$/, '')).flatMap((s) => Object.keys(s)));
        for (const label of labels) {
          if (!TARGET_LABELS.has(label) && !served.has(label)) problems.push(`${q.where}: ${metric} has no label ${label}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('the queries cover every alerting signal: a silent source, refusals, lag, dead-letters, the breaker, approvals, store errors, a service down', () => {
    const rules = ruleQueries().map((q) => q.expr).join('\n');
    for (const metric of [
      'bulwark_ingest_last_event_timestamp_seconds', 'bulwark_ingest_rejected_records_total', 'bulwark_bus_delivery_lag_seconds_bucket',
      'bulwark_correlator_dead_lettered_events_total', 'bulwark_responder_breaker_open', 'bulwark_approvals_oldest_waiting_seconds',
      'bulwark_store_errors_total', 'up',
    ]) assert.ok(rules.includes(metric), metric);
  });
});
