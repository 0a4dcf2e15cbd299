import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, OTHER } from '../src/index.js';

const sample = (text: string, line: string): number | null => {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? null : Number(found.slice(line.length + 1));
};

describe('a process metrics registry', () => {
  it('is its own registry: two processes in one test never share series', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.inc('correlatorEvents', {}, 5);
    assert.equal(sample((await a.render()).text, 'bulwark_correlator_events_total'), 5);
    assert.equal(sample((await b.render()).text, 'bulwark_correlator_events_total'), null, 'not declared, never touched');
  });

  it("declares a service's metrics at once, counters at zero, and Node's process metrics only when asked", async () => {
    const text = (await createMetrics({ defaults: true }).declare('correlator').render()).text;
    assert.equal(sample(text, 'bulwark_correlator_events_total'), 0);
    assert.match(text, /^# TYPE bulwark_correlator_rule_matches_total counter$/m);
    assert.doesNotMatch(text, /bulwark_ingest_events_total/, 'not a correlator metric');
    assert.match(text, /^process_cpu_seconds_total /m);
    assert.doesNotMatch((await createMetrics().declare('api').render()).text, /^process_cpu_seconds_total/m);
  });

  it('bounds label values before they become series', async () => {
    const metrics = createMetrics();
    metrics.inc('ingestEvents', { source: 'falco' }, 2);
    metrics.inc('ingestEvents', { source: '"}\nevil 1' }, 3);
    metrics.inc('ingestRejectedRecords', { source: 'logs', reason: 'NOT_A_CODE' });
    const text = (await metrics.render()).text;
    assert.equal(sample(text, 'bulwark_ingest_events_total{source="falco"}'), 2);
    assert.equal(sample(text, `bulwark_ingest_events_total{source="${OTHER}"}`), 3);
    assert.equal(sample(text, `bulwark_ingest_rejected_records_total{source="logs",reason="${OTHER}"}`), 1);
    assert.doesNotMatch(text, /evil/);
  });

  it('reads scrape-time gauges on every scrape, and a failing reader empties only its gauge', async () => {
    const metrics = createMetrics();
    let waiting = 2;
    metrics.onScrape('approvalsWaiting', (set) => set({}, waiting));
    metrics.onScrape('incidents', () => Promise.reject(new Error('store down')));
    assert.equal(sample((await metrics.render()).text, 'bulwark_approvals_waiting'), 2);
    waiting = 0;
    const text = (await metrics.render()).text;
    assert.equal(sample(text, 'bulwark_approvals_waiting'), 0);
    assert.match(text, /^# TYPE bulwark_incidents gauge$/m);
    assert.doesNotMatch(text, /^bulwark_incidents\{/m);
  });

  it("merges another registry's snapshot (a worker thread's) into one scrape, summing shared series", async () => {
    const main = createMetrics();
    const thread = createMetrics();
    main.observe('storeDuration', { store: 'log', operation: 'get' }, 0.002);
    thread.observe('storeDuration', { store: 'log', operation: 'get' }, 0.004);
    thread.inc('ruleMatches', { rule: 'r-1' }, 4);
    main.addSource(() => thread.snapshot());
    const text = (await main.render()).text;
    assert.equal(sample(text, 'bulwark_store_operation_duration_seconds_count{store="log",operation="get"}'), 2);
    assert.equal(sample(text, 'bulwark_correlator_rule_matches_total{rule="r-1"}'), 4);
    main.addSource(() => Promise.reject(new Error('thread gone')));
    assert.equal(sample((await main.render()).text, 'bulwark_correlator_rule_matches_total{rule="r-1"}'), 4, 'a source that fails is left out');
  });

  it('times work into a histogram, failures included', async () => {
    const metrics = createMetrics();
    await metrics.time('evaluationDuration', {}, async () => 1);
    await assert.rejects(metrics.time('evaluationDuration', {}, async () => Promise.reject(new Error('x'))));
    assert.equal(sample((await metrics.render()).text, 'bulwark_correlator_batch_evaluation_seconds_count'), 2);
  });
});
