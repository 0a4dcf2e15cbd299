/**
 * Alert provenance from evidence (docs/ARCHITECTURE.md, "Provenance"): the source kind the collector stamped (missing:
 * untrusted `logs`), the received time from `event.ingested` (never `@timestamp`), and the conservative `logs` for
 * correlations whose rules may read non-reserved datasets; plus the failure classification that decides dead-letter vs
 * redelivery.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulwarkError } from '@bulwark/schema';
import { BUNDLED_RULES_DIR, classifyFailure, correlationsReadingLogs, EvaluationError, loadRuleDir, receivedMsOf, sourceOf } from '../src/index.js';

describe('alert provenance', () => {
  it('reads the source kind the collector stamped; events without one count as logs', () => {
    assert.equal(sourceOf({ bulwark: { provenance: { source: 'k8s-audit' } } }), 'k8s-audit');
    assert.equal(sourceOf({ bulwark: { provenance: { source: 'falco' } } }), 'falco');
    assert.equal(sourceOf({ event: { dataset: 'kubernetes.audit' } }), 'logs', 'older data, stored before provenance');
    assert.equal(sourceOf({ bulwark: { provenance: { source: 'root' } } }), 'logs', 'an unknown kind is not trusted');
  });

  it('takes the received time from event.ingested, not the sender-chosen @timestamp', () => {
    const doc = { '@timestamp': '2099-01-01T00:00:00.000Z', event: { ingested: '2026-01-02T03:04:05.000Z' } };
    assert.equal(receivedMsOf(doc, 42), Date.parse('2026-01-02T03:04:05.000Z'));
    assert.equal(receivedMsOf({ '@timestamp': '2099-01-01T00:00:00.000Z' }, 42), 42);
  });

  it('a correlation over audit rules only reads reserved datasets; one over container logs may see forged lines', () => {
    const bundled = loadRuleDir(BUNDLED_RULES_DIR);
    const readsLogs = correlationsReadingLogs(bundled);
    const breach = bundled.correlations.find((c) => c.id === '4aa803c5-0e2f-4d2d-9bdd-9b1c4faf63ba')!;
    assert.equal(readsLogs(breach), false, 'multi-stage breach: kubernetes.audit only');
    const dir = mkdtempSync(join(tmpdir(), 'bwk-prov-'));
    try {
      writeFileSync(join(dir, 'miner.yml'), `title: Miner pool string
id: 0b7c1f52-3a43-4f0e-9c43-4d6f4c1a0301
logsource: { product: container }
detection:
  keywords: [stratum+tcp]
  condition: keywords
level: high
`);
      writeFileSync(join(dir, 'miner_burst.yml'), `title: Miner pool strings repeated
id: 0b7c1f52-3a43-4f0e-9c43-4d6f4c1a0302
correlation:
  type: event_count
  rules: [0b7c1f52-3a43-4f0e-9c43-4d6f4c1a0301]
  group-by: [kubernetes.pod.name]
  timespan: 5m
  condition: { gte: 3 }
level: critical
`);
      writeFileSync(join(dir, 'chained.yml'), `title: Bursts on several pods
id: 0b7c1f52-3a43-4f0e-9c43-4d6f4c1a0303
correlation:
  type: event_count
  rules: [0b7c1f52-3a43-4f0e-9c43-4d6f4c1a0302]
  group-by: [kubernetes.pod.name]
  timespan: 1h
  condition: { gte: 2 }
level: critical
`);
      const custom = loadRuleDir(dir);
      const check = correlationsReadingLogs(custom);
      for (const c of custom.correlations) assert.equal(check(c), true, `${c.title}: container logs are attacker-writable`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('failure classification', () => {
  it('an outage is infrastructure (redeliver); refused data is invalid (dead-letter); the rest is unknown', () => {
    assert.equal(classifyFailure(new BulwarkError('BWK_STORE_UNAVAILABLE', 'down')), 'infrastructure');
    assert.equal(classifyFailure(new EvaluationError('record', 'r', new BulwarkError('BWK_STORE_UNAVAILABLE', 'down'))), 'infrastructure');
    assert.equal(classifyFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' })), 'infrastructure');
    assert.equal(classifyFailure(new Error('Connection is closed.')), 'infrastructure');
    assert.equal(classifyFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) })), 'infrastructure');
    assert.equal(classifyFailure(new EvaluationError('record', 'r', new BulwarkError('BWK_BAD_REQUEST', 'refused'))), 'invalid');
    assert.equal(classifyFailure(Object.assign(new Error('refused'), { code: 'SQLITE_CONSTRAINT_TRIGGER' })), 'invalid');
    assert.equal(classifyFailure(new EvaluationError('parse', undefined, new SyntaxError('Unexpected token'))), 'invalid');
    assert.equal(classifyFailure(new EvaluationError('alert', 'r', new Error('something odd'))), 'unknown');
  });
});
