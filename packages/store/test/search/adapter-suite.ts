/**
 * What only the search-engine LogStore has, tested on the real engine (OpenSearch and Elasticsearch): the dead-letter index, idempotent writes from two collectors, idempotent templates
 * and the mapping they produce, literal user text, dynamic field types, audit objects, point-in-time paging and
 * retention. Each test works on its own prefix; the fixture deletes them all at the end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BulwarkError } from '@bulwark/schema';
import { listDataStreams, parseQuery, SearchLogStore, type EngineClient, type LogStore, type SearchRequest } from '../../src/index.js';
import { FIXTURE, pagingEvents } from '../contract/fixtures.js';
import { EXPLORE_FIXTURE } from '../contract/fixtures-explore.js';
import { searchAll } from '../contract/logstore-contract.js';
import type { QueryNode } from '../../src/query/ast.js';
import { decodeSearchCursor } from '../../src/search/cursor.js';
import { searchFingerprint } from '../../src/sqlite/rows.js';
import type { EngineFixture } from './engine-env.js';

const DAY = 86_400_000;

function ev(id: string, dataset: string, fields: Record<string, unknown> = {}, ts = Date.now()): Event {
  return { '@timestamp': new Date(ts).toISOString(), event: { id, dataset }, ...fields } as Event;
}

async function ids(store: LogStore, q: string): Promise<string[]> {
  const hits = await searchAll(store, { query: parseQuery(q), size: 100, sort: 'asc' });
  return hits.map((e) => e.event.id).sort();
}

/** The rest of a pagination, from a cursor on. */
async function follow(store: LogStore, req: Omit<SearchRequest, 'cursor'>, cursor: string): Promise<Event[]> {
  const hits: Event[] = [];
  for (let next: string | null = cursor; next; ) {
    const page = await store.search({ ...req, cursor: next });
    hits.push(...page.hits);
    next = page.cursor;
  }
  return hits;
}

function pitOf(cursor: string, query: QueryNode): string | undefined {
  return decodeSearchCursor(cursor, searchFingerprint(query, 'asc')).pit;
}

async function ready(store: SearchLogStore): Promise<SearchLogStore> {
  await store.init();
  return store;
}

export function runSearchAdapterSuite(env: EngineFixture): void {
  const { client } = env;

  describe(`SearchLogStore on ${env.kind}`, () => {
    it('routes a document with a mapping conflict to the dead-letter index, reports it per item, stores the rest', async () => {
      const store = await ready(env.store());
      // `kubernetes.pod` is mapped as an object: a plain value there is a mapping conflict on every engine (a malformed
      // number or a wrong leaf type is not: `ignore_malformed` keeps those events and skips the one value).
      const bad = ev('dl-2', 'dl.test', { kubernetes: { pod: 'web-1' } });
      const result = await store.append([ev('dl-1', 'dl.test'), bad, ev('dl-3', 'dl.test')]);
      assert.deepEqual(result.statuses, ['created', 'rejected', 'created']);
      assert.equal(result.created, 2);
      assert.equal(result.duplicates, 0);
      assert.equal(result.rejected?.length, 1);
      const [rejection] = result.rejected!;
      assert.equal(rejection!.position, 1);
      assert.match(rejection!.type, /^(mapper_parsing_exception|document_parsing_exception)$/);
      assert.match(rejection!.reason, /kubernetes\.pod/);
      assert.equal(await store.get('dl-2'), null);
      assert.deepEqual(await ids(store, 'event.dataset:dl.test'), ['dl-1', 'dl-3']);

      const again = await store.append([bad]); // a shipper retrying the refused event: refused again, one letter
      assert.deepEqual(again.statuses, ['rejected']);
      const dl = store.layout.deadLetterIndex;
      await client.request({ method: 'POST', path: `/${dl}/_refresh` });
      const res = await client.request<{ hits: { hits: Array<{ _source: Record<string, any> }> } }>({
        method: 'POST',
        path: `/${dl}/_search`,
        body: { query: { term: { 'event.id': 'dl-2' } } },
      });
      assert.equal(res.body.hits.hits.length, 1);
      const letter = res.body.hits.hits[0]!._source;
      assert.equal(letter.target_index, `logs-${store.layout.prefix}.dl.test-default`);
      assert.equal(letter.error.type, rejection!.type);
      assert.equal(letter.error.reason, rejection!.reason);
      assert.equal(letter.event.dataset, 'dl.test');
      assert.deepEqual(JSON.parse(letter.document), bad);
      assert.ok(Date.parse(letter['@timestamp']) > Date.now() - 60_000);
    });

    it('with the default refresh interval, append still resolves only once its events are searchable', async () => {
      const store = await ready(env.store({ refreshInterval: '1s' }));
      const started = Date.now();
      await store.append(pagingEvents(20, 'ryw'));
      assert.equal((await ids(store, 'paging')).length, 20);
      assert.ok(Date.now() - started < 5000);
    });

    it('is unavailable before init, after close and while the engine is unreachable; init reopens', async () => {
      const store = env.store();
      await assert.rejects(store.get('e1'), { code: 'BWK_STORE_UNAVAILABLE' });
      assert.equal(await store.ping(), false);
      await store.init();
      assert.equal(await store.ping(), true);
      await store.close();
      await store.close();
      assert.equal(await store.ping(), false);
      await assert.rejects(store.append(FIXTURE), { code: 'BWK_STORE_UNAVAILABLE' });
      await store.init();
      assert.equal((await store.append(FIXTURE.slice(0, 1))).created, 1);

      let down = false;
      const flaky = {
        ...client,
        request: (req: never, opts?: never) =>
          down ? Promise.reject(new BulwarkError('BWK_STORE_UNAVAILABLE', 'connect ECONNREFUSED')) : client.request(req, opts),
      } as EngineClient;
      const outage = new SearchLogStore({ client: flaky, prefix: store.layout.prefix, bulk: { maxRetries: 2, baseDelayMs: 1 } });
      await outage.init();
      down = true;
      await assert.rejects(outage.append(FIXTURE), { code: 'BWK_STORE_UNAVAILABLE', message: /after 3 attempts: .*ECONNREFUSED/ });
      assert.equal(await outage.ping(), false);
      down = false;
      assert.equal((await outage.append(FIXTURE)).duplicates, 1);
      await assert.rejects(
        new SearchLogStore({ engine: { kind: env.kind, url: 'http://127.0.0.1:1', requestTimeoutMs: 1000 } }).init(),
        { code: 'BWK_STORE_UNAVAILABLE' },
      );
    });

    it('two collectors writing the same batches concurrently store each event exactly once', async () => {
      const prefix = `twin${Date.now().toString(36)}`;
      const [a, b] = await Promise.all([ready(env.store({ prefix })), ready(env.store({ prefix }))]);
      const batch = pagingEvents(300, 'twin');
      const [ra, rb] = await Promise.all([a.append(batch), b.append(batch)]);
      assert.equal(ra.created + rb.created, 300);
      assert.equal(ra.duplicates + rb.duplicates, 300);
      for (let i = 0; i < 300; i++) assert.ok(ra.statuses[i] !== rb.statuses[i], `exactly one created event ${i}`);
      assert.equal((await b.append(batch.slice(0, 50))).duplicates, 50);
      const all = await searchAll(a, { query: parseQuery(''), size: 1000, sort: 'asc' });
      assert.equal(all.length, 300);
      assert.equal(new Set(all.map((e) => e.event.id)).size, 300);
    });

    it('init is idempotent: the template is written once, the mapping is as designed, data stays', async () => {
      const first = await ready(env.store());
      const { prefix, templateName } = first.layout;
      await first.append(FIXTURE);
      const before = await client.request<any>({ method: 'GET', path: `/_index_template/${templateName}` });
      const second = await ready(env.store({ prefix }));
      await second.init();
      const after = await client.request<any>({ method: 'GET', path: `/_index_template/${templateName}` });
      assert.deepEqual(after.body, before.body);
      assert.deepEqual(await second.get('e1'), FIXTURE[0]);

      const mappings = await client.request<Record<string, { mappings: { properties: Record<string, any> } }>>({
        method: 'GET',
        path: `/logs-${prefix}.kubernetes.audit-default/_mapping`,
      });
      const props = Object.values(mappings.body)[0]!.mappings.properties;
      const flat = env.kind === 'opensearch' ? 'flat_object' : 'flattened';
      assert.equal(props['@timestamp'].type, 'date');
      assert.equal(props.message.type, 'text');
      assert.equal(props.source.properties.ip.type, 'ip');
      assert.equal(props.kubernetes.properties.labels.type, flat);
      const audit = props.kubernetes.properties.audit.properties;
      assert.equal(audit.verb.type, 'keyword');
      assert.equal(audit.responseStatus.properties.code.type, 'integer');
      assert.equal(audit.annotations.type, flat);
      if (env.kind === 'opensearch') assert.equal(audit.requestObject.enabled, false);
      else assert.equal(audit.requestObject.type, 'flattened');
    });

    it('matches user text literally: query_string syntax inside values is plain text', async () => {
      const store = await ready(env.store());
      await store.append([
        ev('lit-1', 'lit', { message: 'x AND y field:(x) * end', user: { name: 'a OR b' }, tags: ['*', 'field:(x)'] }),
        ev('lit-2', 'lit', { message: 'x y', user: { name: 'a' } }),
        ev('lit-3', 'lit', { message: 'b', user: { name: 'b' } }),
      ]);
      assert.deepEqual(await ids(store, 'user.name:"a OR b"'), ['lit-1']);
      assert.deepEqual(await ids(store, 'user.name:a\\ OR\\ b'), ['lit-1']);
      assert.deepEqual(await ids(store, 'tags:"*"'), ['lit-1']);
      assert.deepEqual(await ids(store, 'tags:\\*'), ['lit-1']);
      assert.deepEqual(await ids(store, 'tags:"field:(x)"'), ['lit-1']);
      assert.deepEqual(await ids(store, 'user.name:"field:(x)"'), []);
      assert.deepEqual(await ids(store, '"x AND y"'), ['lit-1']);
      assert.deepEqual(await ids(store, '"field:(x)"'), ['lit-1']);
      // free text is also a whole value of any field: tags holds '*', user.name 'a OR b'
      assert.deepEqual(await ids(store, '"*"'), ['lit-1']);
      assert.deepEqual(await ids(store, 'message:"*"'), []);
      assert.deepEqual(await ids(store, '"a OR b"'), ['lit-1']);
      assert.deepEqual(await ids(store, 'message:"y field"'), ['lit-1']);
    });

    it('queries fields shippers add beyond the model by their dynamic type, never failing on a type mismatch', async () => {
      const store = await ready(env.store());
      await store.append([
        ev('dyn-1', 'dyn', { extra: { n: 5, s: 'abc', flag: true } }),
        ev('dyn-2', 'dyn', { extra: { n: 12.5, s: 'xyz', flag: false } }),
      ]);
      const cases: Array<[string, string[]]> = [
        ['extra.n>3', ['dyn-1', 'dyn-2']],
        ['extra.n:5', ['dyn-1']],
        ['extra.n:[6 TO 20]', ['dyn-2']],
        ['extra.n:abc', []],
        ['extra.n:5*', []],
        ['extra.n:[a TO z]', []],
        ['extra.s:[a TO m}', ['dyn-1']],
        ['extra.s>1', []],
        ['extra.s:ab*', ['dyn-1']],
        ['extra.flag:true', ['dyn-1']],
        ['extra:abc', []],
        ['extra.n:* AND NOT extra.n:abc', ['dyn-1', 'dyn-2']],
        ['no.such.field:x OR extra.s:xyz', ['dyn-2']],
      ];
      for (const [q, expected] of cases) assert.deepEqual(await ids(store, q), expected, q);
    });

    it('keeps whole audit objects (oversized values included) and searches audit annotations and fields', async () => {
      const store = await ready(env.store());
      let deep: Record<string, unknown> = { leaf: 'bottom' };
      for (let i = 0; i < 30; i++) deep = { [`level${i}`]: deep };
      const audit = ev('aud-1', 'kubernetes.audit', {
        kubernetes: {
          audit: {
            verb: 'update',
            objectRef: { resource: 'configmaps', namespace: 'prod', name: 'big' },
            user: { username: 'system:serviceaccount:ci:deployer', extra: { 'authentication.kubernetes.io/pod-name': ['runner-1'] } },
            annotations: { 'authorization.k8s.io/decision': 'allow' },
            requestObject: { kind: 'ConfigMap', data: { 'big.txt': 'x'.repeat(40_000) }, deep },
            responseObject: { kind: 'ConfigMap', metadata: { 'app.kubernetes.io/name': 'web' } },
          },
        },
      });
      assert.deepEqual((await store.append([audit])).statuses, ['created']);
      assert.deepEqual(await store.get('aud-1'), audit);
      assert.deepEqual(await ids(store, 'kubernetes.audit.annotations.authorization\\.k8s\\.io/decision:allow'), ['aud-1']);
      assert.deepEqual(await ids(store, 'kubernetes.audit.user.username:system\\:serviceaccount\\:ci\\:*'), ['aud-1']);
      assert.deepEqual(await ids(store, 'kubernetes.audit.verb:update AND kubernetes.audit.objectRef.resource:configmaps'), ['aud-1']);
      assert.deepEqual(await ids(store, 'kubernetes.audit.annotations:allow'), []); // a map never equals a value
      // free text reaches the leaves of flat maps; the request/response objects only where they are indexed (ES)
      assert.deepEqual(await ids(store, 'allow'), ['aud-1']);
      assert.deepEqual(await ids(store, 'runner-1'), ['aud-1']);
      assert.deepEqual(await ids(store, 'bottom'), env.kind === 'elasticsearch' ? ['aud-1'] : []);
      assert.deepEqual(await ids(store, 'web'), env.kind === 'elasticsearch' ? ['aud-1'] : []);
    });

    it('free text over an index of more fields than the engine allows in one query: found, or refused saying why', async () => {
      const store = await ready(env.store());
      const wide = Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`k${i}`, `v${i}`]));
      await store.append([...EXPLORE_FIXTURE, ev('wide-1', 'wide.test', { wide }, Date.parse(EXPLORE_FIXTURE[0]!['@timestamp']))]);
      assert.deepEqual(await ids(store, 'wide.k7:v7'), ['wide-1']);
      assert.deepEqual(await ids(store, 'ledg*'), ['x2']); // a prefix searches message only
      if (env.kind === 'elasticsearch') {
        // Elasticsearch 8 sizes its clause limit from the heap: 1100 fields are within it here
        assert.deepEqual(await ids(store, 'v1099 OR 10.1.2.30'), ['wide-1', 'x3']);
        const top = await store.topValues({ query: parseQuery('v7 OR allow'), fields: ['wide.k7', 'event.id'] });
        assert.deepEqual(top.fields.map((f) => f.values), [[{ value: 'v7', count: 1 }], [{ value: 'wide-1', count: 1 }, { value: 'x1', count: 1 }]]);
        return;
      }
      // OpenSearch: one clause per field, at most indices.query.bool.max_clause_count (1024) per query
      const refused = (err: { code?: string; message?: string; details?: { param?: string } }) => {
        assert.equal(err.code, 'BWK_BAD_PARAM');
        assert.equal(err.details?.param, 'q');
        assert.match(err.message ?? '', /max_clause_count/);
        return true;
      };
      const q = parseQuery('v7');
      await assert.rejects(store.search({ query: q, size: 10 }), refused);
      await assert.rejects(store.histogram({ query: q, from: new Date(0), to: new Date(Date.now() + 86_400_000), intervalMs: 86_400_000 * 365 }), refused);
      await assert.rejects(store.topValues({ query: q, fields: ['event.id'] }), refused);
      await assert.rejects(store.around({ id: 'x2', query: q, before: 1, after: 1 }), refused);
    });

    it('counts top values of flat map keys and audit fields exactly, however the engine stores them', async () => {
      const store = await ready(env.store());
      const labels = (i: number) => ({ app: i % 3 === 0 ? 'api' : `w${i}`, ...(i % 2 === 0 ? { tier: 'web' } : {}), 'x.y': 'z' });
      await store.append(Array.from({ length: 30 }, (_, i) => ev(`tv-${i}`, ['tv.a', 'tv.b'][i % 2]!, { kubernetes: { labels: labels(i) } })));
      const result = await store.topValues({ query: parseQuery('event.dataset:tv.*'), fields: ['kubernetes.labels.app', 'kubernetes.labels.tier', 'kubernetes.labels.x\\.y'], size: 2 });
      assert.deepEqual(result, {
        total: 30,
        fields: [
          { field: 'kubernetes.labels.app', present: 30, values: [{ value: 'api', count: 10 }, { value: 'w1', count: 1 }] },
          { field: 'kubernetes.labels.tier', present: 15, values: [{ value: 'web', count: 15 }] },
          { field: 'kubernetes.labels.x\\.y', present: 30, values: [{ value: 'z', count: 30 }] },
        ],
      });
    });

    it('pages on a point in time: events arriving during a pagination do not slip in, an expired PIT is survived', async () => {
      const store = await ready(env.store());
      await store.append(pagingEvents(30, 'pit'));
      const q = parseQuery('');
      const first = await store.search({ query: q, size: 10, sort: 'asc' });
      assert.ok(pitOf(first.cursor!, q), 'the cursor carries a PIT id');
      await store.append([{ ...pagingEvents(1, 'pit-late')[0]!, '@timestamp': new Date(Date.parse(FIXTURE[0]!['@timestamp']) + 100_000).toISOString() }]);
      const rest = await follow(store, { query: q, size: 10, sort: 'asc' }, first.cursor!);
      assert.deepEqual(
        [...first.hits, ...rest].map((e) => e.event.id),
        pagingEvents(30, 'pit').map((e) => e.event.id),
      );
      const again = await store.search({ query: q, size: 10, sort: 'asc' });
      const againPit = pitOf(again.cursor!, q)!;
      const body = env.kind === 'opensearch' ? { pit_id: [againPit] } : { id: againPit };
      await client.request({ method: 'DELETE', path: env.kind === 'opensearch' ? '/_search/point_in_time' : '/_pit', body });
      const after = await follow(store, { query: q, size: 10, sort: 'asc' }, again.cursor!);
      assert.equal(after.length, 21); // the 20 remaining and the late event: paging by position alone
    });

    it('retention: deletes backing indices whose newest event is past the max age and keeps recent data', async () => {
      const store = await ready(env.store({ retention: { maxAgeDays: 1 } }));
      const mode = store.retentionMode;
      if (mode !== 'job') {
        // The engine's own lifecycle deletes: its policy says 1 day, and Bulwark's job deletes nothing itself.
        if (mode === 'dsl') {
          const tpl = await client.request<any>({ method: 'GET', path: `/_index_template/${store.layout.templateName}` });
          assert.equal(tpl.body.index_templates[0].index_template.template.lifecycle.data_retention, '1d');
        } else {
          const policy = await client.request<any>({ method: 'GET', path: `/_plugins/_ism/policies/${store.layout.policyId}` });
          const hot = policy.body.policy.states.find((st: { name: string }) => st.name === 'hot');
          assert.deepEqual(hot.transitions, [{ state_name: 'delete', conditions: { min_rollover_age: '1d' } }]);
        }
        assert.deepEqual(await store.runRetention(new Date(Date.now() + 30 * DAY)), { rolledOver: [], deleted: [] });
        await store.close();
        return;
      }
      const now = Date.now();
      const old = Array.from({ length: 5 }, (_, i) => ev(`old-${i}`, 'ret.mixed', {}, now - 3 * DAY + i));
      await store.append(old);
      await store.append([ev('recent-other', 'ret.recent', {}, now - 3_600_000)]);
      const stream = `logs-${store.layout.prefix}.ret.mixed-default`;
      const first = await store.runRetention(new Date(now));
      assert.deepEqual(first, { rolledOver: [stream], deleted: [] }); // everything in it expired: roll over now
      await store.append([ev('recent-same', 'ret.mixed', {}, now - 3_600_000)]);
      const second = await store.runRetention(new Date(now + 10 * 60_000)); // past the grace period
      assert.deepEqual(second.rolledOver, []);
      assert.equal(second.deleted.length, 1);
      assert.match(second.deleted[0]!, new RegExp(`^\\.ds-logs-${store.layout.prefix}\\.ret\\.mixed-default-.*0+1$`));
      assert.deepEqual(await ids(store, ''), ['recent-other', 'recent-same']);
      assert.equal(await store.get('old-0'), null);
      assert.deepEqual(await store.runRetention(new Date(now + 10 * 60_000)), { rolledOver: [], deleted: [] });
      await store.close();
    });

    it('retention: never deletes a backing index the newest-event aggregation could not read (closed, failed shards)', async (t) => {
      const store = await ready(env.store({ retention: { maxAgeDays: 1 } }));
      if (store.retentionMode !== 'job') {
        // Only Bulwark's own job reads the newest-event aggregation; with a lifecycle the engine deletes by age itself.
        await store.close();
        t.skip(`the engine deletes by its own lifecycle (${store.retentionMode}): no retention job to test`);
        return;
      }
      const now = Date.now();
      await store.append([ev('unread-recent', 'ret.unread', {}, now - 3_600_000)]);
      const stream = `logs-${store.layout.prefix}.ret.unread-default`;
      await client.request({ method: 'POST', path: `/${stream}/_rollover` });
      await store.append([ev('unread-later', 'ret.unread', {}, now - 60_000)]);
      const [listed] = await listDataStreams(client, store.dialect, stream);
      const first = listed!.indices[0]!;
      // Its recent event is unreadable to the aggregation, exactly as when its shards fail: it must stay.
      await client.request({ method: 'POST', path: `/${first}/_close` });
      const report = await store.runRetention(new Date(now + 10 * 60_000));
      assert.deepEqual(report.deleted, [], 'an index whose newest event is unknown is kept');
      const exists = await client.request({ method: 'HEAD', path: `/${first}` }, { ignore: [404] });
      assert.equal(exists.statusCode, 200);
      await client.request({ method: 'POST', path: `/${first}/_open` });
      await client.request({ method: 'GET', path: `/_cluster/health/${first}`, querystring: { wait_for_status: 'yellow', timeout: '30s' } });
      assert.ok(await store.get('unread-recent'), 'its data is all there once it can be read again');
      await store.close();
    });

    it('retention: init starts the job on a timer when the engine has no lifecycle', async () => {
      let resolveRun: (outcome: unknown) => void = () => undefined;
      const ran = new Promise((resolve) => (resolveRun = resolve));
      const store = await ready(env.store({ retention: { maxAgeDays: 7, checkIntervalMs: 50 }, onRetention: resolveRun }));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('no run within 5 s'), store.retentionMode === 'job' ? 5000 : 500)));
      const outcome = await Promise.race([ran, timeout]);
      clearTimeout(timer);
      // With a lifecycle (ISM, data stream lifecycle) the engine is in charge and no job timer may run at all.
      assert.deepEqual(outcome, store.retentionMode === 'job' ? { report: { rolledOver: [], deleted: [] } } : 'no run within 5 s');
      await store.close();
    });
  });
}
