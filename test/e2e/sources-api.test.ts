// services: opensearch redis
/**
 * `GET /v1/sources` through the real all-in-one app, embedded and on OpenSearch: what the app's own collector counted
 * and what a second collector process flushed into the same case store are summed per route and token; a token
 * without the read scope is refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SourceCounters } from '@bulwark/collector';
import { startHarness, type Harness } from '../support/harness.js';
import { OPENSEARCH } from '../support/search-engines.js';
import { until } from '../support/until.js';

const MODES: Array<[mode: string, env: () => Record<string, string>]> = [
  ['embedded', () => ({})],
  ['scale (OpenSearch)', () => OPENSEARCH.storeEnv(`sources${randomBytes(3).toString('hex')}`)],
];

for (const [mode, env] of MODES) describe(`ingest sources API, ${mode}`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(env());
  });
  after(async () => h.close());

  it('sums a source over collector processes', async () => {
    const tokens = (await (await h.fetch('/v1/tokens')).json()) as { items: Array<{ id: string; name: string }> };
    const ingest = tokens.items.find((t) => t.name === 'test-ingest')!;
    const sent = await h.fetch('/v1/ingest/events', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ message: 'one' }, { message: 'two' }]),
    });
    assert.equal(sent.status, 200);
    // Another collector process, as in scale mode: its own record of the same source, in the same store.
    const other = new SourceCounters(h.deps.cases);
    other.accepted('/v1/ingest/events', 'logs', { tokenId: ingest.id, name: ingest.name }, 5);
    other.rejectedRecords('/v1/ingest/events', 'logs', { tokenId: ingest.id, name: ingest.name }, ['BWK_INGEST_BAD_FIELD']);
    await other.close();

    const source = await until('both processes summed', async () => {
      const res = await h.fetch('/v1/sources', { token: h.tokens.read });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { items: Array<Record<string, any>> };
      const s = body.items.find((i) => i.route === '/v1/ingest/events' && i.token_id === ingest.id);
      return s && s.events_total === 7 ? s : null;
    }, 30_000, 250);
    assert.deepEqual([source.token_name, source.source, source.rejected, source.stopped], ['test-ingest', 'logs', { BWK_INGEST_BAD_FIELD: 1 }, false]);
    assert.ok(source.events_per_s > 0);
    assert.equal((await h.fetch('/v1/sources', { token: h.tokens.ingest })).status, 403);
  });
});
