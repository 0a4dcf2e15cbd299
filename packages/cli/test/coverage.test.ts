/**
 * `bulwark rules coverage` on a real embedded store: per rule, the events of its datasets in the range and how many
 * carried every field it names — an audit policy at `Metadata` leaves a rule that reads `requestObject` judging
 * nothing, which only stored history can show.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlockLogStore } from '@bulwark/store';
import type { Event } from '@bulwark/schema';
import { runCli } from '../src/main.js';
import { ruleDir } from './helpers.js';

const T = Date.parse('2026-12-01T10:00:00Z');

function audit(i: number, withBody: boolean): Event {
  const audit: Record<string, unknown> = { kind: 'Event', verb: 'create', level: withBody ? 'RequestResponse' : 'Metadata', objectRef: { resource: 'pods', namespace: 'shop' } };
  if (withBody) audit.requestObject = { spec: { hostNetwork: i % 2 === 0 } };
  return { '@timestamp': new Date(T + i * 1000).toISOString(), event: { id: `cov-${i}`, kind: 'event', dataset: 'kubernetes.audit', ingested: new Date(T).toISOString() }, kubernetes: { audit } } as unknown as Event;
}

const rule = (id: string, title: string, selection: string) =>
  `title: ${title}\nid: ${id}\nlogsource: { product: kubernetes, service: audit }\ndetection:\n  selection:\n${selection}\n  condition: selection\nlevel: low\n`;

describe('rules coverage', () => {
  const data = mkdtempSync(join(tmpdir(), 'bwk-coverage-'));
  const rules = ruleDir({
    'k8s/host_network.yml': rule('6d1f0e2a-0000-4000-8000-000000000001', 'Host network pod', "    verb: create\n    requestObject.spec.hostNetwork: 'true'"),
    'k8s/any_create.yml': rule('6d1f0e2a-0000-4000-8000-000000000002', 'Any create', '    verb: create'),
  });
  before(async () => {
    const store = new BlockLogStore({ path: join(data, 'bulwark.db'), writer: 'inline' });
    await store.init();
    // 10 audit events: 4 at RequestResponse (with requestObject), 6 at Metadata.
    await store.append(Array.from({ length: 10 }, (_, i) => audit(i, i < 4)));
    await store.close();
  });
  after(() => rmSync(data, { recursive: true, force: true }));

  it('counts, per rule, the events that carried every field it names', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['rules', 'coverage', '--from', '2026-12-01T00:00:00Z', '--to', '2026-12-02T00:00:00Z', '--rules', rules, '--json'], {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: { BULWARK_DATA_DIR: data },
    });
    assert.equal(code, 0, stderr);
    const byTitle = Object.fromEntries((JSON.parse(stdout) as { rules: Array<{ title: string; events: number; covered: number; fields: string[] }> }).rules.map((r) => [r.title, r]));
    assert.deepEqual(byTitle['Host network pod'], { id: '6d1f0e2a-0000-4000-8000-000000000001', title: 'Host network pod', fields: ['verb', 'requestObject.spec.hostNetwork'], events: 10, covered: 4 });
    assert.equal(byTitle['Any create']!.covered, 10);
  });
});
