/**
 * A rule naming a field its events never carry still loads (the lint is advice, `bulwark rules validate --strict`
 * enforces it), and the correlator says so once at start, naming file and path: a rule that can never fire is
 * otherwise invisible.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { LocalBus } from '@bulwark/bus';
import { CaseService } from '@bulwark/cases';
import { InMemoryCorrelationState } from '@bulwark/detection';
import { SqliteCaseStore, BlockLogStore } from '@bulwark/store';
import { startCorrelator } from '../src/index.js';

describe('correlator start: rule field warnings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-field-warn-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('logs a warning naming the rule file and the field that cannot exist', async () => {
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'admission.yml'), [
      'title: admission webhook deleted (top-level apiGroup)',
      'id: 5a0e1c7d-0000-4000-8000-000000000001',
      'logsource: { product: kubernetes, service: audit }',
      'detection:',
      '  selection: { verb: delete, apiGroup: admissionregistration.k8s.io }',
      '  condition: selection',
      'level: high',
      '',
    ].join('\n'));
    let logged = '';
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => ((logged += chunk.toString()), done()) }));
    const path = join(dir, 'bulwark.db');
    const logs = new BlockLogStore({ path });
    await logs.init();
    const cases = new SqliteCaseStore({ path });
    await cases.init();
    const bus = new LocalBus({ path, pollIntervalMs: 50 });
    const correlator = await startCorrelator({ bus, cases: new CaseService(cases), logger, rulesDir: join(dir, 'rules'), state: new InMemoryCorrelationState() });
    try {
      const line = logged.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; file: string; path: string }).find((l) => l.msg.startsWith('rule field:'));
      assert.ok(line, logged);
      assert.equal(line.file, join(dir, 'rules', 'admission.yml'));
      assert.equal(line.path, 'detection.selection.apiGroup');
      assert.match(line.msg, /field 'apiGroup' does not exist in kubernetes\.audit events.*did you mean objectRef\.apiGroup/);
    } finally {
      await correlator.close();
      await bus.close();
      await cases.close();
      await logs.close();
    }
  });
});
