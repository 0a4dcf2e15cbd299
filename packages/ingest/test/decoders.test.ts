/**
 * The decoder registry: the README's ingest rows and DECODERS.md are exactly what it generates (regenerate with
 * `npm run docs:generate`, as the RBAC manifest is with `npm run rbac:generate`), and a malformed registry fails when
 * it is built, naming the field.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { BulwarkError } from '@bulwark/schema';
import {
  DECODERS,
  decoderReference,
  decoderRegistry,
  defineDecoder,
  endpointRows,
  genericEventsDecoder,
  loadRegistry,
  taggedRows,
  withEndpointRows,
  type IngestDecoder,
} from '../src/index.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const origin = (name: string) => ({ module: import.meta.url, export: name });

const toy = (overrides: Partial<IngestDecoder> = {}): IngestDecoder =>
  defineDecoder({
    name: 'toy',
    routes: [{ path: '/v1/ingest/toy', methods: ['POST'] }],
    body: { mediaTypes: ['text/plain'], charsets: 'utf-8' },
    source: 'logs',
    accepts: ['logs'],
    reply: 'summary',
    docs: { summary: 'toy lines for the tests', description: 'One event per line, for the registry tests.' },
    decode: () => ({ events: [], errors: [] }),
    ...overrides,
  });

function refusal(build: () => unknown): { code: string; message: string; field: unknown } {
  try {
    build();
  } catch (err) {
    assert.ok(err instanceof BulwarkError, String(err));
    return { code: err.code, message: err.message, field: err.details?.field };
  }
  assert.fail('the registry was accepted');
}

describe('the decoder registry', () => {
  it("the README's ingest rows are generated from the registry and up to date", () => {
    assert.deepEqual(taggedRows(readme), endpointRows(DECODERS), 'stale: run `npm run docs:generate` and commit README.md');
  });

  it('DECODERS.md is generated from the registry and up to date', () => {
    const onDisk = readFileSync(new URL('../DECODERS.md', import.meta.url), 'utf8');
    assert.equal(onDisk, decoderReference(DECODERS), 'stale: run `npm run docs:generate` and commit packages/ingest/DECODERS.md');
  });

  it('lists every protocol the collector speaks, each named as its provenance protocol', () => {
    assert.deepEqual(
      DECODERS.decoders.map((d) => d.name),
      ['es-bulk', 'es-doc', 'k8s-audit', 'falco', 'loki', 'container-logs', 'events', 'otlp-logs'],
    );
    assert.equal(DECODERS.get('loki')?.successStatus, 204);
    assert.equal(DECODERS.get('nope'), undefined);
  });

  it('a new decoder is one more row, placed with the others; the rows around them are kept', () => {
    const rows = endpointRows(decoderRegistry([...DECODERS.decoders, toy()], origin('unused1')));
    const rewritten = withEndpointRows(readme, rows);
    const lines = rewritten.split('\n');
    const at = lines.indexOf(rows.at(-1)!);
    assert.match(lines[at]!, /^\| `POST \/v1\/ingest\/toy` \| ingest \| toy lines for the tests; speaks for `logs` \| <!-- decoder:toy -->$/);
    assert.equal(lines[at - 1], endpointRows(DECODERS).at(-1), 'right after the last registered decoder');
    assert.equal(rewritten.replace(`${lines[at]}\n`, ''), readme, 'nothing else changes');
  });

  it('rewriting needs one contiguous block of tagged rows', () => {
    const row = endpointRows(DECODERS)[0]!;
    assert.equal(refusal(() => withEndpointRows('| a | b |\n', [row])).code, 'BWK_CONFIG_INVALID');
    assert.match(refusal(() => withEndpointRows(`${row}\n| other |\n${row}\n`, [row])).message, /contiguous/);
  });

  it('refuses a malformed descriptor, naming the field', () => {
    const bad = (d: IngestDecoder) => refusal(() => decoderRegistry([d], origin('unused2')));
    const named = bad(toy({ name: 'Toy Decoder' }));
    assert.equal(named.code, 'BWK_CONFIG_INVALID');
    assert.equal(named.field, 'decoders[0].name');
    assert.equal(bad(toy({ routes: [{ path: 'v1/toy', methods: ['POST'] }] })).field, 'decoders[0].routes.0.path');
    assert.equal(bad(toy({ routes: [] })).field, 'decoders[0].routes');
    assert.equal(bad(toy({ docs: { summary: 'two\nlines here', description: 'long enough description here' } })).field, 'decoders[0].docs.summary');
    assert.equal(bad(toy({ reply: 'es-bulk', successStatus: 204 })).field, 'decoders[0].successStatus');
    assert.equal(bad(toy({ source: 'falco' })).field, 'decoders[0].accepts');
    assert.equal(bad(toy({ limits: { maxBodyBytes: 0 } })).field, 'decoders[0].limits.maxBodyBytes');
    assert.equal(bad(toy({ routes: [{ path: '/v1/toy/{id}', methods: ['POST'] }], requestParams: { id: ['query:id'] } })).field, 'decoders[0].requestParams.id');
    assert.equal(bad({ ...toy(), decode: 'no' } as unknown as IngestDecoder).field, 'decoders[0].decode');
  });

  it('refuses two decoders with one name, or on one route (whatever the placeholders are called)', () => {
    const twice = refusal(() => decoderRegistry([genericEventsDecoder, toy({ name: 'events', routes: [{ path: '/v1/other', methods: ['POST'] }] })], origin('unused3')));
    assert.equal(twice.field, 'decoders[1].name');
    const clash = refusal(() => decoderRegistry([...DECODERS.decoders, toy({ routes: [{ path: '/{name}/_bulk', methods: ['PUT'] }] })], origin('unused4')));
    assert.match(clash.message, /PUT \/\{name\}\/_bulk is claimed by both es-bulk and toy/);
    // The same path under another method is a different route.
    decoderRegistry([...DECODERS.decoders, toy({ routes: [{ path: '/v1/ingest/events', methods: ['PUT'] }] })], origin('unused5'));
  });

  it('a decode thread finds a registry by its origin; an origin that names no registry is refused', async () => {
    assert.equal(await loadRegistry(DECODERS.origin), DECODERS);
    const wrong = await loadRegistry({ module: DECODERS.origin.module, export: 'NOT_THERE' }).then(
      () => 'loaded',
      (err: unknown) => (err instanceof BulwarkError ? err.code : String(err)),
    );
    assert.equal(wrong, 'BWK_INTERNAL');
  });
});
