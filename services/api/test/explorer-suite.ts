/**
 * The explorer routes on one real store, run by explorer-sqlite.test.ts and explorer-opensearch.test.ts alike: the
 * answers must not depend on the adapter.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from '@bulwark/schema';
import { startExplorerApp, type ExplorerApp, type StoreKind } from './explorer-app.js';
import { ATTACKER, ATTACKER_IP, FORMULA, NODE, NS, POD, POD_UID, RS, T0, TIE_AT, filler, recordedPivotAudit, timeline } from './explorer-events.js';

type Hit = Event & Record<string, unknown>;
interface Field { name: string; type: string; count: number; top: Array<{ value: unknown; count: number }> }
const q = encodeURIComponent;
const FILLER = 2500;

export function explorerSuite(kind: StoreKind): void {
  describe(`explorer API on ${kind}`, () => {
    let app: ExplorerApp;
    let events: Event[];
    const recorded = recordedPivotAudit();
    before(async () => {
      app = await startExplorerApp(kind);
      events = timeline();
      await app.append(events);
      await app.append(filler(FILLER, T0 + 3_600_000));
      await app.append(recorded.events);
    });
    after(() => app?.close());

    const podEvents = () => events.filter((e) => (e as Hit).kubernetes?.pod?.name === POD);

    describe('GET /v1/fields', () => {
      it('lists the fields of the matching events with dotted names, types, counts and top values', async () => {
        const body = await app.json<{ sampled: number; complete: boolean; fields: Field[] }>(`/v1/fields?q=${q(`kubernetes.namespace:${NS}`)}`);
        const matching = events.filter((e) => (e as Hit).kubernetes?.namespace === NS).length;
        assert.equal(body.sampled, matching);
        assert.equal(body.complete, true);
        const field = (name: string) => body.fields.find((f) => f.name === name);
        assert.deepEqual(field('kubernetes.pod.name')?.top[0], { value: POD, count: podEvents().length });
        assert.equal(field('kubernetes.pod.name')?.type, 'string');
        assert.equal(field('@timestamp')?.type, 'date');
        assert.equal(field('@timestamp')?.count, matching);
        assert.equal(field('kubernetes.audit.responseStatus.code')?.type, 'number');
        assert.equal(field('kubernetes.audit.objectRef.name')?.type, 'string');
        // Falco's flat keys keep their dots escaped: the sidebar's name is the filter's name.
        const falcoKey = field('falco.output_fields.k8s\\.pod\\.uid');
        assert.deepEqual(falcoKey?.top, [{ value: POD_UID, count: 1 }]);
        const filtered = await app.json<{ hits: unknown[] }>(`/v1/search?q=${q(`falco.output_fields.k8s\\.pod\\.uid:"${POD_UID}"`)}`);
        assert.equal(filtered.hits.length, 1);
      });

      it('says when the counts are of a sample: the newest `sample` events, not all', async () => {
        const body = await app.json<{ sampled: number; complete: boolean; fields: Field[] }>(`/v1/fields?q=event.dataset:filler.logs&sample=100`);
        assert.equal(body.sampled, 100);
        assert.equal(body.complete, false);
        const top = body.fields.find((f) => f.name === 'message')!.top;
        assert.equal(top[0]!.count, 1);
        assert.ok(top.every((t) => Number(String(t.value).split(' ').at(-1)) >= FILLER - 100), 'the newest 100 only');
      });

      it('refuses a bad parameter naming it, a query that does not parse with its position, and a token without read', async () => {
        const bad = await app.get('/v1/fields?sample=0');
        assert.equal(bad.status, 400);
        assert.equal(((await bad.json()) as { error: { details: { param: string } } }).error.details.param, 'sample');
        const syntax = await app.get(`/v1/fields?q=${q('user.name:(a OR')}`);
        assert.equal(syntax.status, 400);
        const err = ((await syntax.json()) as { error: { code: string; details: { position: number } } }).error;
        assert.equal(err.code, 'BWK_QUERY_SYNTAX');
        assert.equal(typeof err.details.position, 'number');
        assert.equal((await app.get('/v1/fields', app.ingestOnly)).status, 403);
        assert.equal((await fetch(`${app.url}/v1/fields`)).status, 401);
      });
    });

    describe('GET /v1/fields/top', () => {
      it('counts one field exactly over every matching event, and how many carry it and lack it', async () => {
        const body = await app.json<{ field: string; total: number; present: number; missing: number; values: Array<{ value: unknown; count: number }> }>(
          `/v1/fields/top?field=event.dataset&q=${q(`kubernetes.namespace:${NS} OR event.dataset:filler.logs`)}`,
        );
        const inNs = events.filter((e) => (e as Hit).kubernetes?.namespace === NS);
        const count = (d: string) => inNs.filter((e) => e.event.dataset === d).length;
        assert.equal(body.field, 'event.dataset');
        assert.equal(body.total, FILLER + inNs.length);
        assert.equal(body.present, body.total);
        assert.equal(body.missing, 0);
        assert.deepEqual(body.values, [
          { value: 'filler.logs', count: FILLER },
          { value: 'kubernetes.container_logs', count: count('kubernetes.container_logs') },
          { value: 'kubernetes.audit', count: count('kubernetes.audit') },
          { value: 'falco.alerts', count: 1 },
        ]);
        assert.ok(count('kubernetes.audit') >= 4 && count('kubernetes.container_logs') > count('kubernetes.audit'));
        const missing = await app.json<{ missing: number; values: unknown[] }>(`/v1/fields/top?field=source.ip&q=${q(`kubernetes.namespace:${NS}`)}&size=1`);
        assert.equal(missing.values.length, 1);
        assert.equal(missing.missing, events.filter((e) => (e as Hit).kubernetes?.namespace === NS && !(e as Hit).source).length);
        assert.equal((await app.get('/v1/fields/top?field=a..b')).status, 400);
        const tooMany = await app.get('/v1/fields/top?field=event.dataset&size=101');
        assert.equal(tooMany.status, 400);
        assert.equal(((await tooMany.json()) as { error: { details: { param: string } } }).error.details.param, 'size');
      });
    });

    describe('GET /v1/events/:id/context', () => {
      const tied = () => events.filter((e) => Date.parse(e['@timestamp']) === T0 + TIE_AT);
      const ids = (list: Event[]) => list.map((e) => e.event.id);

      it('splits events sharing the anchor timestamp around it: none lost, none twice', async () => {
        const ties = tied();
        assert.equal(ties.length, 5);
        const anchor = ties[2]!;
        const pod = podEvents().sort((a, b) => Date.parse(a['@timestamp']) - Date.parse(b['@timestamp']));
        const at = pod.findIndex((e) => e.event.id === anchor.event.id); // stable sort: ties keep arrival order
        for (const [nb, na] of [[1, 1], [2, 2], [4, 4], [30, 30]] as const) {
          const body = await app.json<{ anchor: Event; by: string; query: string; before: Event[]; after: Event[] }>(`/v1/events/${anchor.event.id}/context?by=pod&before=${nb}&after=${na}`);
          assert.equal(body.by, 'pod');
          assert.equal(body.anchor.event.id, anchor.event.id);
          assert.deepEqual(ids(body.before), ids(pod.slice(Math.max(0, at - nb), at)), `before=${nb}`);
          assert.deepEqual(ids(body.after), ids(pod.slice(at + 1, at + 1 + na)), `after=${na}`);
        }
      });

      it('answers the query it used, which finds the same events in the explorer', async () => {
        const anchor = events.find((e) => e.event.dataset === 'falco.alerts')!;
        const body = await app.json<{ by: string; query: string; before: Event[]; after: Event[] }>(`/v1/events/${anchor.event.id}/context?before=100&after=100`);
        assert.equal(body.by, 'pod');
        assert.match(body.query, new RegExp(POD_UID));
        const found = await app.json<{ hits: Event[] }>(`/v1/search?sort=asc&size=1000&q=${q(body.query)}`);
        assert.deepEqual([...ids(body.before), anchor.event.id, ...ids(body.after)], ids(found.hits));
        assert.equal(found.hits.length, podEvents().length, 'audit events (no uid), log lines and the Falco alert of the pod');
      });

      it('follows the user, the source address, or every source; refuses an entity the event lacks', async () => {
        const exec = events.find((e) => (e as Hit).user?.name === ATTACKER)!;
        const byUser = await app.json<{ query: string; before: Event[]; after: Event[] }>(`/v1/events/${exec.event.id}/context?by=user`);
        assert.equal(byUser.query, `user.name:"${ATTACKER}"`);
        assert.equal(byUser.before.length + byUser.after.length, 1);
        const byIp = await app.json<{ query: string; after: Event[] }>(`/v1/events/${exec.event.id}/context?by=source_ip`);
        assert.equal(byIp.query, `source.ip:"${ATTACKER_IP}"`);
        assert.equal(byIp.after[0]?.kubernetes?.audit?.verb, 'get');
        const all = await app.json<{ query: string; before: Event[]; after: Event[] }>(`/v1/events/${exec.event.id}/context?by=all&before=3&after=3`);
        assert.equal(all.query, '');
        assert.equal(all.before.length, 3);
        assert.equal(all.after.length, 3);
        assert.ok(Date.parse(all.after[0]!['@timestamp']) >= Date.parse(exec['@timestamp']));
        const sa = await app.get(`/v1/events/${exec.event.id}/context?by=service_account`);
        assert.equal(sa.status, 400);
        assert.equal((await app.get('/v1/events/no-such-event/context')).status, 404);
        assert.equal((await app.get(`/v1/events/${exec.event.id}/context?before=-1`)).status, 400);
      });
    });

    describe('GET /v1/export', () => {
      it('streams every matching event as NDJSON, newest first, across store pages', async () => {
        const res = await app.get(`/v1/export?q=event.dataset:filler.logs`);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="bulwark-export-.*\.ndjson"$/);
        const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as Event);
        assert.equal(lines.length, FILLER);
        assert.equal(new Set(lines.map((e) => e.event.id)).size, FILLER);
        assert.equal(lines[0]!.event.id, `filler-${FILLER - 1}`);
        assert.equal(lines.at(-1)!.event.id, 'filler-0');
      });

      it('writes CSV with the chosen columns, quoted per RFC 4180, attacker text defused as a formula', async () => {
        const res = await app.get(`/v1/export?format=csv&fields=${q('@timestamp,kubernetes.pod.name,message,event.severity')}&q=${q(`kubernetes.pod.name:${POD} AND "click"`)}`);
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
        const text = await res.text();
        const formula = events.find((e) => e.message === FORMULA)!;
        assert.equal(text, `@timestamp,kubernetes.pod.name,message,event.severity\r\n${formula['@timestamp']},${POD},"'=HYPERLINK(""http://evil.example/x"",""click""), ""quoted""",\r\n`);
        const defaults = await (await app.get(`/v1/export?format=csv&q=${q(`kubernetes.pod.name:${POD}`)}`)).text();
        assert.equal(defaults.split('\r\n')[0], '@timestamp,event.dataset,message');
        assert.equal(defaults.split('\r\n').length - 2, podEvents().length);
      });

      it('refuses bad parameters before streaming', async () => {
        assert.equal((await app.get('/v1/export?format=xlsx')).status, 400);
        assert.equal((await app.get(`/v1/export?q=${q('a:(')}`)).status, 400);
        assert.equal((await app.get('/v1/export?fields=')).status, 400);
      });
    });

    describe('saved searches', () => {
      const send = (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) =>
        fetch(`${app.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });

      it('are kept per token: created, listed, replaced against their version, deleted; others see 404', async () => {
        const created = await send('POST', '/v1/saved-searches', app.alice, { name: 'shells', q: 'rule.name:"Terminal shell in container"', from: 'now-24h', columns: ['@timestamp', 'message'] });
        assert.equal(created.status, 201);
        const saved = (await created.json()) as Record<string, unknown> & { id: string; version: string };
        assert.equal(saved.name, 'shells');
        assert.equal(saved.from, 'now-24h');
        assert.equal(saved.to, null);
        assert.equal(created.headers.get('etag'), `"${saved.version}"`);
        await send('POST', '/v1/saved-searches', app.bob, { name: 'bob', q: '' });

        const mine = (await (await send('GET', '/v1/saved-searches', app.alice)).json()) as { items: Array<{ id: string; owner: string }> };
        assert.deepEqual(mine.items.map((i) => i.id), [saved.id]);
        for (const [method, body] of [['GET', undefined], ['PUT', { name: 'x', q: '' }], ['DELETE', undefined]] as const) {
          const res = await send(method, `/v1/saved-searches/${saved.id}`, app.bob, body, { 'if-match': '*' });
          assert.equal(res.status, 404, `${method} by someone else`);
        }

        assert.equal((await send('PUT', `/v1/saved-searches/${saved.id}`, app.alice, { name: 'shells 2', q: 'sh' })).status, 428);
        const replaced = await send('PUT', `/v1/saved-searches/${saved.id}`, app.alice, { name: 'shells 2', q: 'sh' }, { 'if-match': `"${saved.version}"` });
        assert.equal(replaced.status, 200);
        const updated = (await replaced.json()) as { name: string; version: string; from: null; created_at: string };
        assert.equal(updated.name, 'shells 2');
        assert.equal(updated.from, null);
        assert.equal(updated.created_at, saved.created_at);
        const stale = await send('PUT', `/v1/saved-searches/${saved.id}`, app.alice, { name: 'late', q: '', version: saved.version });
        assert.equal(stale.status, 409);

        assert.equal((await send('DELETE', `/v1/saved-searches/${saved.id}`, app.alice)).status, 204);
        assert.equal((await send('GET', `/v1/saved-searches/${saved.id}`, app.alice)).status, 404);
      });

      it('refuse a query that does not parse, with its position, and bad fields by name', async () => {
        const res = await send('POST', '/v1/saved-searches', app.alice, { name: 'broken', q: 'user.name:"unclosed' });
        assert.equal(res.status, 400);
        const err = ((await res.json()) as { error: { code: string; details: { position: number } } }).error;
        assert.equal(err.code, 'BWK_QUERY_SYNTAX');
        assert.equal(err.details.position, 10);
        const bad = await send('POST', '/v1/saved-searches', app.alice, { name: '', q: '' });
        assert.equal(((await bad.json()) as { error: { details: { field: string } } }).error.details.field, 'name');
        const from = await send('POST', '/v1/saved-searches', app.alice, { name: 'x', q: '', from: 'yesterday' });
        assert.equal(((await from.json()) as { error: { details: { field: string } } }).error.details.field, 'from');
      });
    });

    describe('GET /v1/pivot', () => {
      interface Pivot { entity: { kind: string; namespace?: string; name: string }; related: Array<{ kind: string; namespace?: string; name: string; resource?: string; query: string; seen_in?: string }> }
      const names = (p: Pivot) => p.related.map((r) => `${r.kind}:${r.resource ?? ''}:${r.namespace ?? ''}/${r.name}`).sort();

      it('leads from a pod to its workload, service account, the bindings naming it, and its node', async () => {
        const pivot = await app.json<Pivot>(`/v1/pivot?field=kubernetes.pod.name&value=${q(`${NS}/${POD}`)}`);
        assert.deepEqual(pivot.entity, { kind: 'pod', namespace: NS, name: POD });
        assert.deepEqual(names(pivot), [
          `binding:clusterrolebindings:/api-view`,
          `binding:rolebindings:${NS}/api-reader`,
          `node::/${NODE}`,
          `service_account::${NS}/api`,
          `workload:deployments:${NS}/api`,
          `workload:replicasets:${NS}/${RS}`,
        ]);
        for (const related of pivot.related) {
          assert.ok(related.seen_in && (await app.get(`/v1/events/${related.seen_in}`)).status === 200, `${related.name} cites a stored event`);
          const found = await app.json<{ hits: Event[] }>(`/v1/search?q=${q(related.query)}`);
          if (related.kind === 'binding') assert.ok(found.hits.length >= 1, `the query of ${related.name} finds its events`);
          if (related.kind === 'workload' && related.resource === 'replicasets') assert.equal(found.hits.length, podEvents().length, 'its pods\' events');
        }
      });

      it('works on the audit events the real kube-apiserver recorded: a pod created by generateName, a deleted binding', async () => {
        const { namespace: ns, pod } = recorded;
        const pivot = await app.json<Pivot>(`/v1/pivot?field=kubernetes.pod.name&value=${q(`${ns}/${pod}`)}`);
        assert.deepEqual(pivot.entity, { kind: 'pod', namespace: ns, name: pod });
        assert.deepEqual(names(pivot), [
          `binding:clusterrolebindings:/${ns}-api-view`,
          `binding:rolebindings:${ns}/api-reader`,
          `node::/worker-1`,
          `service_account::${ns}/api`,
          `workload:deployments:${ns}/api`,
          `workload:replicasets:${ns}/api-5d8f7c9b6`,
        ]);
        const sa = await app.json<Pivot>(`/v1/pivot?field=user.name&value=${q(`system:serviceaccount:${ns}:api`)}`);
        assert.deepEqual(names(sa), [`binding:clusterrolebindings:/${ns}-api-view`, `binding:rolebindings:${ns}/api-reader`, `pod::${ns}/${pod}`]);
      });

      it('finds the pod from the uid a log line or Falco alert carries, and pivots from a service account and a node', async () => {
        const byUid = await app.json<Pivot>(`/v1/pivot?field=kubernetes.pod.uid&value=${POD_UID}`);
        assert.deepEqual(byUid.entity, { kind: 'pod', namespace: NS, name: POD });
        const sa = await app.json<Pivot>(`/v1/pivot?field=user.name&value=${q(`system:serviceaccount:${NS}:api`)}`);
        assert.deepEqual(sa.entity, { kind: 'service_account', namespace: NS, name: 'api' });
        assert.deepEqual(names(sa), [`binding:clusterrolebindings:/api-view`, `binding:rolebindings:${NS}/api-reader`, `pod::${NS}/${POD}`]);
        const node = await app.json<Pivot>(`/v1/pivot?field=kubernetes.node.name&value=${NODE}`);
        assert.deepEqual(names(node), [`pod::${recorded.namespace}/${recorded.pod}`, `pod::${NS}/${POD}`]);
        assert.equal((await app.get('/v1/pivot?field=message&value=x')).status, 400);
        assert.equal((await app.get('/v1/pivot?field=kubernetes.pod.uid&value=nope')).status, 404);
      });
    });
  });
}
