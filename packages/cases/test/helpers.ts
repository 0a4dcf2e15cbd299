/** Fixtures for the case service tests: a throwaway SQLite CaseStore and alert builders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertInput } from '@bulwark/schema';
import { SqliteCaseStore } from '@bulwark/store';
import { CaseService, type CaseServiceOptions } from '../src/index.js';

export const T0 = Date.parse('2026-11-20T10:00:00.000Z');
export const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

export interface Fixture {
  store: SqliteCaseStore;
  cases: CaseService;
  close(): Promise<void>;
}

export async function openFixture(options: CaseServiceOptions = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-cases-'));
  const store = new SqliteCaseStore({ path: join(dir, 'cases.db') });
  await store.init();
  // The clock stands a day after the alerts' evidence was received (a correlator catching up): grouping and
  // suppression go by the receive times the alerts carry, and nothing is clamped.
  const cases = new CaseService(store, { now: () => at(24 * 60), ...options });
  return {
    store,
    cases,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An alert of rule `rule` about pod `pod` in `prod`, seen and received (audit evidence) at minute `minute`. */
export function alertOf(id: string, opts: { rule?: string; pod?: string; minute?: number; severity?: AlertInput['severity']; group?: string } = {}): AlertInput {
  const minute = opts.minute ?? 0;
  const rule = opts.rule ?? 'k8s-exec';
  return {
    id,
    rule: { id: rule, name: `rule ${rule}`, level: opts.severity ?? 'medium', tags: ['attack.t1609'] },
    severity: opts.severity ?? 'medium',
    group_key: opts.group ?? `prod/${opts.pod ?? 'api'}`,
    entity: { kind: 'workload', namespace: 'prod', value: opts.pod ?? 'api' },
    event_ids: [`ev-${id}`],
    first_seen: at(minute),
    last_seen: at(minute),
    source: 'rule',
    provenance: { origin: 'rule', sources: ['k8s-audit'], received_at: at(minute) },
  };
}

/** Every alert id of an incident, as `GET /v1/incidents/:id/alerts` lists them (following cursors). */
export async function incidentAlertIds(f: Fixture, incidentId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await f.cases.listIncidentAlerts(incidentId, { size: 100, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((i) => i.record.id));
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return ids;
}
