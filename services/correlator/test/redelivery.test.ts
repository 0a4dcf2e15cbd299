import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { BatchHandler, Bus, BusBatch } from '@bulwark/bus';
import type { CaseService } from '@bulwark/cases';
import { BulwarkError, type AlertInput } from '@bulwark/schema';
import { startCorrelator } from '../src/index.js';

const RULE = `title: Exec
id: 0b7c1f52-3a43-4f0e-9c43-4d6f4c1a0001
logsource: { product: kubernetes, service: audit }
detection:
  sel: { verb: create }
  condition: sel
level: medium
`;
const CORRELATION = `title: Two execs
id: 0b7c1f52-3a43-4f0e-9c43-4d6f4c1a0002
correlation:
  type: event_count
  rules: [0b7c1f52-3a43-4f0e-9c43-4d6f4c1a0001]
  group-by: [user.username]
  timespan: 5m
  condition: { gte: 2 }
  generate: true
level: high
`;

function event(n: number): BusBatch['events'][number] {
  const doc = {
    '@timestamp': new Date(Date.UTC(2026, 10, 29, 10, n)).toISOString(),
    event: { id: `e${n}`, dataset: 'kubernetes.audit', kind: 'event' },
    kubernetes: { audit: { verb: 'create', user: { username: 'alice' } } },
  };
  return { id: `e${n}`, ts: Date.parse(doc['@timestamp']), dataset: 'kubernetes.audit', doc: JSON.stringify(doc), message: null };
}

describe('correlator delivery', () => {
  it('a failed batch is rejected and its redelivery records every alert once, correlation alerts included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-corr-'));
    writeFileSync(join(dir, 'exec.yml'), RULE);
    writeFileSync(join(dir, 'two_execs.yml'), CORRELATION);
    let handler: BatchHandler | undefined;
    const bus = {
      publish: async () => {},
      subscribe: async (_group: string, h: BatchHandler) => ((handler = h), { close: async () => {} }),
      close: async () => {},
    } satisfies Bus;
    const stored = new Map<string, AlertInput>();
    let failNextCorrelation = true;
    const cases = {
      recordAlert: async (alert: AlertInput) => {
        if (alert.id.startsWith('cor-') && failNextCorrelation) {
          failNextCorrelation = false;
          // An outage, not a bad alert: the batch goes back to the bus instead of being dead-lettered.
          throw new BulwarkError('BWK_STORE_UNAVAILABLE', 'case store unavailable');
        }
        stored.set(alert.id, alert);
        return { outcome: 'created' };
      },
    } as unknown as CaseService;
    try {
      const correlator = await startCorrelator({ bus, cases, logger: pino({ level: 'silent' }), rulesDir: dir });
      const batch: BusBatch = { id: 'seq-1-2', events: [event(1), event(2)] };
      await assert.rejects(handler!(batch), /case store unavailable/);
      await handler!(batch); // the bus redelivers the same range
      const ids = [...stored.keys()];
      assert.equal(ids.filter((id) => id.startsWith('alr-')).length, 2);
      const correlation = [...stored.values()].filter((a) => a.id.startsWith('cor-'));
      assert.equal(correlation.length, 1);
      assert.equal(correlation[0]!.severity, 'high');
      assert.deepEqual(correlation[0]!.entity, { kind: 'user', value: 'alice' });
      assert.equal(correlator.stats.failures, 1);
      assert.equal(correlator.stats.dead_lettered, 0);
      await correlator.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
