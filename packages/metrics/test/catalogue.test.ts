import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ErrorCatalogue, SourceKinds } from '@bulwark/schema';
import { BoundedLabel, closed, METRICS, metricRows, metricsOf, open, OTHER, SERVICES, statusClass, taggedMetricRows, withMetricRows } from '../src/index.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('the metrics catalogue', () => {
  it('names follow Prometheus conventions: bulwark_ prefix, snake case, counters end in _total, units in the name', () => {
    const names = new Set<string>();
    for (const [key, d] of Object.entries(METRICS)) {
      assert.match(d.name, /^bulwark_[a-z][a-z0-9_]*[a-z0-9]$/, key);
      assert.ok(!names.has(d.name), `${d.name} is defined once`);
      names.add(d.name);
      if (d.type === 'counter') assert.match(d.name, /_total$/, `${d.name}: a counter ends in _total`);
      else assert.doesNotMatch(d.name, /_total$/, `${d.name}: only counters end in _total`);
      if (d.type === 'histogram') {
        assert.match(d.name, /_seconds$/, `${d.name}: durations in seconds`);
        const buckets = (d as { buckets?: readonly number[] }).buckets;
        assert.ok(buckets && buckets.length > 0 && buckets.every((b, i) => i === 0 || b > buckets[i - 1]!), `${d.name}: ascending buckets`);
      }
      assert.ok(d.help.length > 20 && d.help.endsWith('.'), `${d.name}: help says what it counts`);
      assert.ok(d.services.length > 0, `${d.name}: some service emits it`);
      for (const label of Object.keys(d.labels)) assert.match(label, /^[a-z][a-z_]*$/, `${d.name}: label ${label}`);
    }
  });

  it('every label is bounded: a closed set, or an open set capped at a small number', () => {
    for (const d of Object.values(METRICS)) {
      for (const [name, bound] of Object.entries(d.labels)) {
        if (bound.kind === 'closed') assert.ok(bound.values.length > 0 && bound.values.length <= 100, `${d.name}{${name}}`);
        else assert.ok(bound.max > 0 && bound.max <= 2000, `${d.name}{${name}} capped at ${bound.max}`);
      }
    }
    assert.deepEqual([...(METRICS.ingestEvents.labels.source as { values: readonly string[] }).values], [...SourceKinds]);
    assert.deepEqual([...(METRICS.ingestRejectedRecords.labels.reason as { values: readonly string[] }).values], Object.keys(ErrorCatalogue));
  });

  it('says which service emits what: ingest in the collector, detection in the correlator, runs in the responder', () => {
    assert.deepEqual([...SERVICES], ['collector', 'api', 'correlator', 'responder']);
    assert.ok(metricsOf('collector').includes('ingestEvents') && !metricsOf('collector').includes('ruleMatches'));
    assert.ok(metricsOf('correlator').includes('ruleMatches') && metricsOf('correlator').includes('busDeliveryLag'));
    assert.ok(metricsOf('responder').includes('playbookRuns') && metricsOf('api').includes('incidents'));
    for (const service of SERVICES) assert.ok(metricsOf(service).includes('httpDuration'), `${service} times its requests`);
  });

  it("the README's metrics table is generated from the catalogue and up to date", () => {
    assert.deepEqual(taggedMetricRows(readme), metricRows(), 'stale: run `npm run docs:generate` and commit README.md');
    assert.equal(withMetricRows(readme, metricRows()), readme);
  });
});

describe('label bounds', () => {
  it('a closed label keeps its values and records anything else as "other"', () => {
    const label = new BoundedLabel('source', closed(['falco', 'logs'], 'source kind'));
    assert.equal(label.value('falco'), 'falco');
    assert.equal(label.value('Falco'), OTHER);
    assert.equal(label.value('alice@example.com'), OTHER);
    assert.equal(label.value(undefined), OTHER);
  });

  it('an open label admits at most its cap of distinct values, then "other"; values seen before stay', () => {
    const label = new BoundedLabel('rule', open(3, 'rule id'));
    assert.deepEqual(['r1', 'r2', 'r3', 'r4', 'r1', 'r5'].map((v) => label.value(v)), ['r1', 'r2', 'r3', OTHER, 'r1', OTHER]);
    assert.equal(label.admitted, 3);
  });

  it('an open label refuses free text: spaces, quotes, newlines, empty or overlong values', () => {
    const label = new BoundedLabel('route', open(100, 'route template'));
    for (const text of ['a b', 'x"y', 'line\nbreak', '', 'a'.repeat(129), '/v1/{x}?q=1', 'é']) assert.equal(label.value(text), OTHER, JSON.stringify(text));
    assert.equal(label.value('/v1/incidents/:id'), '/v1/incidents/:id');
    assert.equal(label.value('3a29cf41-1fca-4646-b512-59a16968c5a6'), '3a29cf41-1fca-4646-b512-59a16968c5a6');
  });

  it('status classes', () => {
    assert.deepEqual([101, 200, 204, 302, 404, 503, 99, 600].map(statusClass), ['1xx', '2xx', '2xx', '3xx', '4xx', '5xx', OTHER, OTHER]);
  });
});
