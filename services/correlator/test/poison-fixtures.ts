/**
 * What the correlator's dead-letter suites share: an exec rule and a three-execs correlation (ids distinct per
 * suite, so suites sharing a Redis never share window state), audit events of a given source, and the poison — a
 * real refusal by the SQLite case store (a trigger aborting the insert of any alert built from an event whose id
 * starts with `poison`), which is what a store refusing a record looks like to the correlator.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SerializedEvent } from '@bulwark/store';

export const T0 = Date.UTC(2026, 10, 29, 10, 0);

/** Writes the rule and the correlation into `dir`; `idSuffix` keeps each suite's rule ids its own. */
export function writeExecRules(dir: string, idSuffix: string): { ruleId: string; correlationId: string } {
  const ruleId = `0b7c1f52-3a43-4f0e-9c43-4d6f4c1a${idSuffix}01`;
  const correlationId = `0b7c1f52-3a43-4f0e-9c43-4d6f4c1a${idSuffix}02`;
  writeFileSync(
    join(dir, 'exec.yml'),
    `title: Exec into a pod\nid: ${ruleId}\nlogsource: { product: kubernetes, service: audit }\ndetection:\n  sel: { verb: create }\n  condition: sel\nlevel: medium\n`,
  );
  writeFileSync(
    join(dir, 'three_execs.yml'),
    `title: Three execs by one user\nid: ${correlationId}\ncorrelation:\n  type: event_count\n  rules: [${ruleId}]\n  group-by: [user.username]\n  timespan: 10m\n  condition: { gte: 3 }\n  generate: true\nlevel: high\n`,
  );
  return { ruleId, correlationId };
}

/** An audit `create` by `user`, `minute` minutes after T0, received `receivedAfterMs` later from `source`. */
export function auditEvent(id: string, minute: number, user: string, options: { source?: string; receivedAfterMs?: number; userField?: boolean } = {}): SerializedEvent {
  const at = T0 + minute * 60_000;
  const doc = {
    '@timestamp': new Date(at).toISOString(),
    event: { id, dataset: 'kubernetes.audit', kind: 'event', ingested: new Date(at + (options.receivedAfterMs ?? 500)).toISOString() },
    ...(options.userField === false ? {} : { user: { name: user } }),
    kubernetes: { audit: { verb: 'create', user: { username: user } } },
    bulwark: { provenance: { source: options.source ?? 'k8s-audit' } },
  };
  return { id, ts: at, dataset: 'kubernetes.audit', doc: JSON.stringify(doc), message: null };
}

/** Installs the poison trigger in the SQLite case store at `path`. */
export function refusePoisonAlerts(path: string): void {
  const db = new Database(path);
  db.exec(`CREATE TRIGGER refuse_poison BEFORE INSERT ON case_records
           WHEN NEW.collection = 'alerts' AND json_extract(NEW.doc, '$.event_ids[0]') LIKE 'poison%'
           BEGIN SELECT RAISE(ABORT, 'refused: poisoned alert'); END;`);
  db.close();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
