/**
 * Bulk triage on the SQLite CaseStore (alert-triage.ts): the bounded retries when another writer changes an alert
 * between the triage's read and its write — a second connection on the same file, writing as the correlator does —
 * and merge counts when the moved alerts came from several incidents.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Alert, Incident } from '@bulwark/schema';
import { SqliteCaseStore, type CaseStore } from '@bulwark/store';
import { BULK_CONFLICT_ATTEMPTS, CaseService } from '../src/index.js';
import { alertOf, at } from './helpers.js';

const actor = { name: 'alice', tokenId: 'tok-alice' };

/**
 * The fixture's store, with another connection bumping the alert's count right after each of the triage's reads of
 * it, `times` times: the window the correlator's fold can land in.
 */
function interfered(store: SqliteCaseStore, other: CaseStore, id: string, times: number): { store: CaseStore; bumps: () => number } {
  let bumps = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'get') return Reflect.get(target, prop, receiver);
      return async (collection: string, key: string) => {
        const read = await target.get(collection as 'alerts', key);
        if (collection === 'alerts' && key === id && read && bumps < times) {
          bumps++;
          const current = (await other.get<Alert>('alerts', id))!;
          await other.update('alerts', id, { ...current.record, count: current.record.count + 1 }, { expectedVersion: current.version });
        }
        return read;
      };
    },
  });
  return { store: wrapped, bumps: () => bumps };
}

describe('bulk triage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-triage-'));
  // Two connections on one file: the service's, and the other writer's.
  const f = { store: new SqliteCaseStore({ path: join(dir, 'cases.db') }), cases: null as unknown as CaseService };
  const other = new SqliteCaseStore({ path: join(dir, 'cases.db') });
  before(async () => {
    await f.store.init();
    await other.init();
    f.cases = new CaseService(f.store, { now: () => at(24 * 60) });
  });
  after(async () => {
    await other.close();
    await f.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`retries an alert changed between its read and write, and reports a conflict after ${BULK_CONFLICT_ATTEMPTS} attempts, losing neither write`, async () => {
    await f.cases.recordAlert(alertOf('hot-1', { pod: 'hot-1' }));
    await f.cases.recordAlert(alertOf('hot-2', { pod: 'hot-2' }));

    const some = interfered(f.store, other, 'hot-1', BULK_CONFLICT_ATTEMPTS - 1);
    const retried = await new CaseService(some.store, { now: () => at(60) }).triageAlerts({ ids: ['hot-1'], change: { action: 'close', resolution: 'benign' }, actor });
    assert.equal(retried[0]!.outcome, 'updated');
    const closed = (await f.store.get<Alert>('alerts', 'hot-1'))!;
    assert.deepEqual([closed.record.status, closed.record.resolution, closed.record.count], ['resolved', 'benign', BULK_CONFLICT_ATTEMPTS]);
    assert.equal(closed.version, retried[0]!.version);

    const always = interfered(f.store, other, 'hot-2', Number.POSITIVE_INFINITY);
    const refused = await new CaseService(always.store, { now: () => at(60) }).triageAlerts({ ids: ['hot-2'], change: { action: 'acknowledge' }, actor });
    assert.deepEqual(refused, [{ id: 'hot-2', outcome: 'conflict' }]);
    assert.equal(always.bumps(), BULK_CONFLICT_ATTEMPTS);
    const untouched = (await f.store.get<Alert>('alerts', 'hot-2'))!.record;
    assert.deepEqual([untouched.status, untouched.count], ['open', 1 + BULK_CONFLICT_ATTEMPTS], 'the other writer kept every change');
    const audited = await f.store.query('audit', { filter: { target_id: 'hot-2', actor: 'alice' }, size: 10 });
    assert.equal(audited.items.length, 0, 'nothing changed, nothing audited');
  });

  it('merges alerts from several incidents: each incident they left and the target get exact counts', async () => {
    const a = await f.cases.recordAlert(alertOf('ma-1', { pod: 'm-a' }));
    await f.cases.recordAlert(alertOf('ma-2', { pod: 'm-a', group: 'g2' }));
    const b = await f.cases.recordAlert(alertOf('mb-1', { pod: 'm-b', severity: 'high' }));
    const t = await f.cases.recordAlert(alertOf('mt-1', { pod: 'm-t', severity: 'low' }));
    const items = await f.cases.triageAlerts({ ids: ['ma-1', 'mb-1', 'mt-1'], change: { action: 'merge', incident_id: t.incident_id! }, actor });
    assert.deepEqual(items.map((i) => i.outcome), ['updated', 'updated', 'unchanged']);
    const count = async (id: string) => (await f.store.get<Incident>('incidents', id))!.record;
    assert.equal((await count(a.incident_id!)).alert_count, 1);
    assert.equal((await count(b.incident_id!)).alert_count, 0);
    const target = await count(t.incident_id!);
    assert.deepEqual([target.alert_count, target.severity], [3, 'high']);
    for (const id of ['ma-1', 'mb-1']) {
      const moved = (await f.store.get<Alert>('alerts', id))!.record;
      assert.deepEqual([moved.incident_id, moved.incident_counted], [t.incident_id, true], id);
    }
    // A repeat of a moved alert folds into it and is counted in the target, not in the incident it left.
    await f.cases.recordAlert(alertOf('ma-1-again', { pod: 'm-a', minute: 1 }));
    assert.equal((await count(t.incident_id!)).alert_count, 3);
    assert.equal((await count(a.incident_id!)).alert_count, 1);
  });
});
