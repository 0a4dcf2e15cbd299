// services: process
/**
 * What a log writer or a leaked shipper token can claim (docs/ARCHITECTURE.md, "Reserved datasets", "Provenance";
 * and the collector's HTTP limits), tried
 * as the attacker's exact requests against the real `npm start` process (SQLite store, embedded correlator with the
 * bundled rules). Each attack sits beside the legitimate path it imitates:
 * - a log line via `_bulk` claiming `event.dataset: falco.alerts`, or shaped as a Falco alert / an `audit.k8s.io`
 *   Event, is stored as a log with the claim recorded and raises no Falco/audit rule alert — while the same Falco
 *   event on the Falco route, and the same audit event on the audit webhook (or `_bulk` with a `[k8s-audit]` token),
 *   do raise the bundled alert;
 * - dotted `kubernetes.pod.name` in the body does not override the shipper's metadata;
 * - a payload `bulwark.provenance` is not believed;
 * - a token restricted to `[falco]` is refused on the audit webhook and `_bulk`, works on the Falco route;
 * - provenance is searchable; an over-long URL / header section is answered 414 / 431 as catalogue JSON.
 * The responder is off: these tests are about what becomes evidence, not what acts on it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '@bulwark/http';
import { SqliteTokenStore } from '@bulwark/store';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';

const CRYPTO_MINER_RULE = '3a29cf41-1fca-4646-b512-59a16968c5a6';
const CLUSTER_ADMIN_BINDING_RULE = '7988ddd7-3007-4e87-b02a-71430693cb09';

interface Alert {
  id: string;
  rule: { id: string };
  event_ids: string[];
  suppressed_ids?: string[];
}

function falcoMiner(pod: string, namespace: string) {
  return {
    uuid: randomUUID(),
    hostname: 'node-a',
    output: `${new Date().toISOString()}: Critical Possible miner running (command=xmrig -o stratum+tcp://pool.supportxmr.com:3333 k8s.ns=${namespace} k8s.pod=${pod})`,
    priority: 'Critical',
    rule: 'Detect crypto miners using the Stratum protocol',
    source: 'syscall',
    time: new Date().toISOString(),
    output_fields: {
      'container.id': 'ba92dbab2801',
      'k8s.ns.name': namespace,
      'k8s.pod.name': pod,
      'proc.cmdline': 'xmrig -o stratum+tcp://pool.supportxmr.com:3333',
      'proc.name': 'xmrig',
    },
  };
}

function clusterAdminBinding(user: string) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: randomUUID(),
    stage: 'ResponseComplete',
    requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
    verb: 'create',
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['10.0.9.9'],
    objectRef: { resource: 'clusterrolebindings', name: `pwn-${user}`, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestObject: { kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: user }] },
    requestReceivedTimestamp: new Date().toISOString(),
    stageTimestamp: new Date().toISOString(),
  };
}

const ndjson = (...lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

describe('adversarial: what an ingested record can claim', () => {
  let p: BulwarkProcess;
  let dir: string;
  const tok: Record<'shipper' | 'legacy' | 'falco' | 'audit' | 'reader', string> = { shipper: '', legacy: '', falco: '', audit: '', reader: '' };
  before(async () => {
    // A token from before sources existed: in the store without any, as an upgrade finds it.
    dir = mkdtempSync(join(tmpdir(), 'bwk-adv-ingest-'));
    const store = new SqliteTokenStore({ path: join(dir, 'bulwark.db') });
    await store.init();
    tok.legacy = `bwk_legacy_${randomUUID().replace(/-/g, '')}`;
    await store.put(mintToken('legacy-shipper', ['ingest'], tok.legacy).stored);
    await store.close();
    p = await startBulwark({ dir, env: { BULWARK_RESPONDER: 'false' } });
    tok.shipper = (await p.mint('fluent-bit', ['ingest'], { sources: ['logs'] })).token;
    tok.falco = (await p.mint('falco-node-a', ['ingest'], { sources: ['falco'] })).token;
    tok.audit = (await p.mint('kube-apiserver', ['ingest'], { sources: ['k8s-audit'] })).token;
    tok.reader = (await p.mint('analyst', ['read'])).token;
  });
  after(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `_bulk` as a shipper sends it; returns the stored ids in order. */
  async function bulk(token: string, ...docs: Array<{ index: string; doc: unknown }>): Promise<string[]> {
    const res = await p.fetch('/_bulk', { method: 'POST', token, headers: { 'content-type': 'application/x-ndjson' }, body: ndjson(...docs.flatMap((d) => [{ create: { _index: d.index } }, d.doc])) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { errors: boolean; items: Array<{ create: { _id: string; status: number } }> };
    assert.equal(body.errors, false, JSON.stringify(body));
    return body.items.map((i) => i.create._id);
  }

  const event = (id: string): Promise<any> => p.get(`/v1/events/${encodeURIComponent(id)}`, tok.reader);

  /** Polls until an alert of `rule` names every one of `eventIds`; returns all alerts then. */
  async function alertsOnceRaised(rule: string, eventIds: string[]): Promise<Alert[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const all = (await p.get<{ items: Alert[] }>('/v1/alerts?size=200', tok.reader)).items;
      const named = new Set(all.filter((a) => a.rule.id === rule).flatMap((a) => [...a.event_ids, ...(a.suppressed_ids ?? [])]));
      if (eventIds.every((id) => named.has(id))) return all;
      if (Date.now() > deadline) assert.fail(`no ${rule} alert named ${eventIds.join(', ')}; alerts: ${JSON.stringify(all.map((a) => [a.rule.id, a.event_ids]))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const mentions = (alerts: Alert[], id: string): boolean => JSON.stringify(alerts).includes(id);

  it('a shipper token minted without sources speaks for logs only: it cannot forge Falco or audit evidence', async () => {
    const warning = p.output().split('\n').find((l) => l.includes('ingest tokens without sources may speak for every source'));
    assert.ok(warning?.includes('legacy-shipper'), `the start warns about the old unrestricted token, naming it: ${warning}`);
    const minted = await p.mint('default-shipper', ['ingest']);
    const listed = (await p.get<{ items: Array<{ id: string; sources?: string[] }> }>('/v1/tokens')).items.find((t) => t.id === minted.id);
    assert.deepEqual(listed?.sources, ['logs'], 'least privilege when no sources are named');
    for (const [route, body] of [
      ['/v1/ingest/falco', falcoMiner('victim-2', 'payments')],
      ['/v1/ingest/k8s-audit', { kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [clusterAdminBinding('mallory-default')] }],
    ] as const) {
      const res = await p.fetch(route, { method: 'POST', token: minted.token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(res.status, 403, `${route} refuses a logs-only token`);
      const err = (await res.json()) as { error: { code: string; details: { token_sources: string[] } } };
      assert.equal(err.error.code, 'BWK_AUTH_SOURCE_FORBIDDEN');
      assert.deepEqual(err.error.details.token_sources, ['logs']);
    }
    // Its logs still go in, as logs.
    const [id] = await bulk(minted.token, { index: 'logs-app-default', doc: { message: 'hello from the shipper' } });
    assert.equal((await event(id!)).bulwark.provenance.source, 'logs');
  });

  it('a log line claiming falco.alerts, or shaped as a Falco alert, is a log and raises nothing; the Falco route still detects', async () => {
    // The attack, from a workload whose JSON log the shipper forwards (and from a holder of an unrestricted token).
    const claim = {
      message: 'Critical Possible miner running (command=xmrig -o stratum+tcp://pool.supportxmr.com:3333)',
      event: { dataset: 'falco.alerts', kind: 'alert' },
      rule: { name: 'Detect crypto miners using the Stratum protocol' },
      process: { name: 'xmrig', command_line: 'xmrig -o stratum+tcp://pool.supportxmr.com:3333' },
      kubernetes: { namespace: 'payments', pod: { name: 'victim-0' } },
    };
    const attackIds = [
      ...(await bulk(tok.shipper, { index: 'logs-app-default', doc: claim }, { index: 'logs-falco.alerts-default', doc: falcoMiner('victim-0', 'payments') })),
      ...(await bulk(tok.legacy, { index: 'logs-app-default', doc: falcoMiner('victim-1', 'payments') })),
    ];
    // The legitimate path, after the attack: the correlator reads in order, so once this alert exists the attack was seen.
    const real = falcoMiner('miner-0', 'shop');
    const res = await p.fetch('/v1/ingest/falco', { method: 'POST', token: tok.falco, headers: { 'content-type': 'application/json' }, body: JSON.stringify(real) });
    assert.equal(res.status, 200);
    const alerts = await alertsOnceRaised(CRYPTO_MINER_RULE, [real.uuid]);
    for (const id of attackIds) assert.ok(!mentions(alerts, id), `the forged event ${id} raised an alert`);

    const [claimed, shaped, legacy] = await Promise.all(attackIds.map(event));
    assert.equal(claimed.event.dataset, 'claimed.falco.alerts');
    assert.equal(claimed.bulwark.claimed.dataset, 'falco.alerts');
    assert.ok(claimed.tags.includes('_reserved_dataset_claim'));
    assert.equal(claimed.bulwark.provenance.source, 'logs');
    for (const e of [shaped, legacy]) {
      assert.notEqual(e.event.dataset, 'falco.alerts');
      assert.notEqual(e.event.kind, 'alert');
      assert.equal(e.bulwark.claimed.native, 'falco');
      assert.equal(e.bulwark.provenance.source, 'logs');
    }
    assert.equal(shaped.event.dataset, 'claimed.falco.alerts', 'the index name claimed it too');
    const stored = await event(real.uuid);
    assert.equal(stored.event.dataset, 'falco.alerts');
    assert.deepEqual(stored.bulwark.provenance, { route: '/v1/ingest/falco', protocol: 'falco', source: 'falco', token: stored.bulwark.provenance.token, token_sources: ['falco'] });
    assert.equal(stored.bulwark.provenance.token.name, 'falco-node-a');
  });

  it('an audit.k8s.io Event via _bulk is a log unless the token is granted k8s-audit; the webhook still detects', async () => {
    const forged = clusterAdminBinding('mallory');
    const forgedLegacy = clusterAdminBinding('mallory-legacy');
    const attackIds = [...(await bulk(tok.shipper, { index: 'logs-app-default', doc: forged })), ...(await bulk(tok.legacy, { index: 'logs-app-default', doc: forgedLegacy }))];
    // Legitimate: the API server's webhook, and an audit log tailer on the control plane holding a [k8s-audit] token.
    const webhook = clusterAdminBinding('eve');
    const res = await p.fetch('/v1/ingest/k8s-audit', { method: 'POST', token: tok.audit, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [webhook] }) });
    assert.equal(res.status, 200);
    const tailed = clusterAdminBinding('trent');
    const [tailedId] = await bulk(tok.audit, { index: 'logs-kubernetes.audit-default', doc: tailed });
    assert.equal(tailedId, `${tailed.auditID}-ResponseComplete`, 'mapped natively: the webhook id');
    const alerts = await alertsOnceRaised(CLUSTER_ADMIN_BINDING_RULE, [`${webhook.auditID}-ResponseComplete`, tailedId!]);
    for (const id of [...attackIds, `${forged.auditID}-ResponseComplete`, `${forgedLegacy.auditID}-ResponseComplete`]) {
      assert.ok(!mentions(alerts, id), `the forged audit event ${id} raised an alert`);
    }
    for (const id of attackIds) {
      const e = await event(id);
      assert.equal(e.event.dataset, 'app', 'the dataset of its index, as any log line');
      assert.equal(e.kubernetes?.audit, undefined, 'never mapped as a native audit event');
      assert.equal(e.bulwark.claimed.native, 'k8s-audit');
      assert.equal(e.bulwark.provenance.source, 'logs');
    }
    const native = await event(tailedId!);
    assert.equal(native.event.dataset, 'kubernetes.audit');
    assert.equal(native.bulwark.provenance.source, 'k8s-audit');
    assert.equal(native.bulwark.provenance.protocol, 'es-bulk');
    assert.deepEqual(native.bulwark.provenance.token_sources, ['k8s-audit']);
  });

  it("dotted kubernetes.pod.name in the body does not override the shipper's metadata; the claim is kept and flagged", async () => {
    const meta = { kubernetes: { pod_name: 'web-1', namespace_name: 'shop', container_name: 'app', host: 'node-a' } };
    const [attackId, legitId] = await bulk(
      tok.shipper,
      { index: 'logs-app-default', doc: { ...meta, log: 'hello', 'kubernetes.pod.name': 'victim-0', 'kubernetes.namespace': 'payments' } },
      { index: 'logs-app-default', doc: { ...meta, log: 'hello again' } },
    );
    const attack = await event(attackId!);
    assert.equal(attack.kubernetes.pod.name, 'web-1');
    assert.equal(attack.kubernetes.namespace, 'shop');
    assert.equal(attack.orchestrator.namespace, 'shop');
    assert.deepEqual(attack.bulwark.claimed.kubernetes, { pod: { name: 'victim-0' }, namespace: 'payments' });
    assert.ok(attack.tags.includes('_identity_conflict'));
    const legit = await event(legitId!);
    assert.equal(legit.kubernetes.pod.name, 'web-1');
    assert.equal(legit.bulwark.claimed, undefined);
    assert.equal(legit.tags, undefined);
    const found = await p.get<{ hits: Array<{ event: { id: string } }> }>(`/v1/search?q=${encodeURIComponent('bulwark.claimed.kubernetes.pod.name:"victim-0"')}`, tok.reader);
    assert.deepEqual(found.hits.map((h) => h.event.id), [attackId]);
  });

  it('a payload bulwark.provenance is not believed: the stored provenance is the collector’s', async () => {
    const forged = { route: '/v1/ingest/falco', protocol: 'falco', source: 'falco', token: { id: 'x', name: 'falco-node-a' }, token_sources: ['falco'] };
    const [nestedId, dottedId] = await bulk(
      tok.shipper,
      { index: 'logs-app-default', doc: { message: 'forged provenance', bulwark: { provenance: forged } } },
      { index: 'logs-app-default', doc: { message: 'forged dotted provenance', 'bulwark.provenance.source': 'falco' } },
    );
    const res = await p.fetch('/v1/ingest/events', { method: 'POST', token: tok.shipper, body: JSON.stringify({ message: 'forged generic provenance', bulwark: { provenance: forged } }) });
    assert.equal(res.status, 200);
    for (const id of [nestedId!, dottedId!]) {
      const e = await event(id);
      assert.equal(e.bulwark.provenance.source, 'logs');
      assert.equal(e.bulwark.provenance.route, '/_bulk');
      assert.equal(e.bulwark.provenance.protocol, 'es-bulk');
      assert.equal(e.bulwark.provenance.token.name, 'fluent-bit');
      assert.deepEqual(e.bulwark.provenance.token_sources, ['logs']);
      assert.ok(e.bulwark.claimed.payload.provenance, 'the forged block is kept for investigation');
    }
    const generic = await p.get<{ hits: any[] }>(`/v1/search?q=${encodeURIComponent('message:"forged generic provenance"')}`, tok.reader);
    assert.equal(generic.hits.length, 1);
    assert.equal(generic.hits[0].bulwark.provenance.source, 'logs');
    assert.equal(generic.hits[0].bulwark.provenance.route, '/v1/ingest/events');
    assert.deepEqual(generic.hits[0].bulwark.claimed.payload.provenance, forged);
    const asFalco = await p.get<{ hits: any[] }>(`/v1/search?q=${encodeURIComponent('bulwark.provenance.source:falco AND message:forged')}`, tok.reader);
    assert.deepEqual(asFalco.hits, [], 'no forged event is found as Falco evidence');
  });

  it('a [falco] token is refused on the audit webhook and _bulk, and works on the Falco route', async () => {
    const audit = await p.fetch('/v1/ingest/k8s-audit', { method: 'POST', token: tok.falco, headers: { 'content-type': 'application/json' }, body: JSON.stringify(clusterAdminBinding('falco-thief')) });
    assert.equal(audit.status, 403);
    const auditErr = ((await audit.json()) as { error: { code: string; details: { route: string; route_sources: string[]; token_sources: string[] } } }).error;
    assert.equal(auditErr.code, 'BWK_AUTH_SOURCE_FORBIDDEN');
    assert.deepEqual(auditErr.details, { route: '/v1/ingest/k8s-audit', route_sources: ['k8s-audit'], token_sources: ['falco'] });
    const viaBulk = await p.fetch('/_bulk', { method: 'POST', token: tok.falco, headers: { 'content-type': 'application/x-ndjson' }, body: ndjson({ create: {} }, falcoMiner('victim-2', 'payments')) });
    assert.equal(viaBulk.status, 403);
    const bulkErr = ((await viaBulk.json()) as { error: { code: string; type: string; details: { token_sources: string[] } } }).error;
    assert.equal(bulkErr.code, 'BWK_AUTH_SOURCE_FORBIDDEN');
    assert.equal(bulkErr.type, 'security_exception', 'Elasticsearch-shaped on the Elasticsearch surface');
    // A shipper's [logs] token cannot speak for Falco either.
    const shipperOnFalco = await p.fetch('/v1/ingest/falco', { method: 'POST', token: tok.shipper, headers: { 'content-type': 'application/json' }, body: JSON.stringify(falcoMiner('victim-3', 'payments')) });
    assert.equal(shipperOnFalco.status, 403);
    const ok = await p.fetch('/v1/ingest/falco', { method: 'POST', token: tok.falco, headers: { 'content-type': 'application/json' }, body: JSON.stringify(falcoMiner('miner-1', 'shop')) });
    assert.equal(ok.status, 200);
    const search = await p.get<{ hits: any[] }>(`/v1/search?q=${encodeURIComponent('kubernetes.pod.name:victim-2 OR kubernetes.pod.name:victim-3')}`, tok.reader);
    assert.deepEqual(search.hits, [], 'nothing from a refused request was stored');
  });

  it('provenance is searchable: by source and by token name', async () => {
    const real = falcoMiner('miner-2', 'shop');
    assert.equal((await p.fetch('/v1/ingest/falco', { method: 'POST', token: tok.falco, headers: { 'content-type': 'application/json' }, body: JSON.stringify(real) })).status, 200);
    const bySource = await p.get<{ hits: Array<{ event: { id: string }; bulwark: any }> }>(`/v1/search?size=500&q=${encodeURIComponent('bulwark.provenance.source:falco')}`, tok.reader);
    assert.ok(bySource.hits.some((h) => h.event.id === real.uuid));
    assert.ok(bySource.hits.every((h) => h.bulwark.provenance.source === 'falco'));
    const byToken = await p.get<{ hits: Array<{ event: { id: string } }> }>(`/v1/search?size=500&q=${encodeURIComponent('bulwark.provenance.token.name:"falco-node-a" AND kubernetes.pod.name:"miner-2"')}`, tok.reader);
    assert.deepEqual(byToken.hits.map((h) => h.event.id), [real.uuid]);
    const logs = await p.get<{ hits: Array<{ bulwark: any }> }>(`/v1/search?size=50&q=${encodeURIComponent('bulwark.provenance.source:logs')}`, tok.reader);
    assert.ok(logs.hits.length > 0 && logs.hits.every((h) => h.bulwark.provenance.source === 'logs'));
  });

  /** One raw HTTP exchange: the status and the JSON body of the answer. */
  function raw(request: string): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const socket = connect(p.port, '127.0.0.1');
      let data = '';
      socket.on('data', (c) => (data += c.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => {
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]);
        const text = data.slice(data.indexOf('\r\n\r\n') + 4);
        try {
          resolve({ status, body: JSON.parse(text) });
        } catch {
          resolve({ status, body: text });
        }
      });
      socket.write(request);
    });
  }

  it('a URL longer than the HTTP limit gets 414, oversized headers 431, both as catalogue JSON; a normal request still works', async () => {
    const longUrl = await raw(`GET /v1/search?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tok.reader}\r\n\r\n`);
    assert.equal(longUrl.status, 414);
    assert.equal(longUrl.body.error.code, 'BWK_URI_TOO_LONG');
    const bigHeaders = await raw(`GET /v1/search HTTP/1.1\r\nHost: x\r\nX-Filler: ${'b'.repeat(20_000)}\r\nAuthorization: Bearer ${tok.reader}\r\n\r\n`);
    assert.equal(bigHeaders.status, 431);
    assert.equal(bigHeaders.body.error.code, 'BWK_HEADERS_TOO_LARGE');
    const fine = await p.fetch(`/v1/search?q=${'a'.repeat(2000)}`, { token: tok.reader });
    assert.equal(fine.status, 200);
  });
});
