/**
 * `bulwark decoders list`: exactly the decoders of the registry the collector is built from (`DECODERS`), in its
 * order, with their routes, content types, body limit and source kind — compared against the registry itself, so a
 * decoder added with one registry line shows up here with nothing else touched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DECODERS, decoderRegistry, defineDecoder } from '@bulwark/ingest';
import { decoderRows, decoderTable } from '../src/decoders-list.js';
import { cli } from './helpers.js';

/** The table's decoder blocks: a block starts at a line whose first column is filled, and runs to the next. */
function blocks(stdout: string): Map<string, string> {
  const lines = stdout.split('\n\n')[0]!.split('\n').slice(1);
  const out = new Map<string, string>();
  let name = '';
  for (const text of lines) {
    if (!text.startsWith(' ')) name = text.split(/\s+/)[0]!;
    out.set(name, `${out.get(name) ?? ''}${text}\n`);
  }
  return out;
}

describe('decoders list', () => {
  it('prints one table block per registry decoder, in registry order, with routes, content types, limit and source', async () => {
    const run = await cli('decoders', 'list');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^DECODER +ROUTES +CONTENT TYPES +BODY LIMIT +SOURCE$/m);
    const found = blocks(run.stdout);
    assert.deepEqual([...found.keys()], DECODERS.decoders.map((d) => d.name));
    for (const decoder of DECODERS.decoders) {
      const block = found.get(decoder.name)!;
      for (const route of decoder.routes) assert.ok(block.includes(`${route.methods.join('|')} ${route.path}`), `${decoder.name}: ${route.path}`);
      for (const type of decoder.body.mediaTypes) assert.match(block, new RegExp(`\\s${type.replace(/[.+]/g, '\\$&')}(\\s|$)`), `${decoder.name}: ${type}`);
      assert.match(block.split('\n')[0]!, new RegExp(`\\s${decoder.source}$`), `${decoder.name}: source`);
      assert.ok(block.includes(decoder.limits?.maxBodyBytes === undefined ? 'ingest.max_body_bytes' : 'if smaller'), `${decoder.name}: limit`);
    }
    assert.match(run.stdout, new RegExp(`^${DECODERS.decoders.length} decoders\\.`, 'm'));
    assert.match(run.stdout, /default\n50 MiB\)/, 'the default body limit comes from the configuration schema');
  });

  it('--json is the registry as data', async () => {
    const run = await cli('decoders', 'list', '--json');
    assert.equal(run.code, 0, run.stderr);
    const rows = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(
      rows,
      DECODERS.decoders.map((d) => ({
        name: d.name,
        summary: d.docs.summary,
        routes: d.routes.map((r) => `${r.methods.join('|')} ${r.path}`),
        media_types: [...d.body.mediaTypes],
        max_body_bytes: d.limits?.maxBodyBytes ?? null,
        source: d.source,
        accepts: [...d.accepts],
      })),
    );
  });

  it("a decoder's own body limit is shown beside the setting it undercuts", () => {
    const toy = defineDecoder({
      name: 'toy-lines',
      routes: [{ path: '/v1/ingest/toy', methods: ['POST'] }],
      body: { mediaTypes: ['text/plain'], charsets: 'utf-8' },
      source: 'logs',
      accepts: ['logs'],
      limits: { maxBodyBytes: 8 * 1024 * 1024 },
      reply: 'summary',
      docs: { summary: 'toy protocol for the listing test', description: 'one event per line, for this test only' },
      decode: () => ({ events: [], errors: [] }),
    });
    const rows = decoderRows(decoderRegistry([toy], { module: import.meta.url, export: 'none' }));
    assert.equal(rows[0]!.max_body_bytes, 8 * 1024 * 1024);
    const [header, first, second] = decoderTable(rows);
    assert.match(header!, /^DECODER/);
    assert.match(first!, /^toy-lines +POST \/v1\/ingest\/toy +text\/plain +8 MiB +logs$/);
    assert.match(second!, /\(or ingest\.max_body_bytes if smaller\)/);
  });

  it('usage errors exit 2; --help shows the command', async () => {
    assert.equal((await cli('decoders')).code, 2);
    assert.equal((await cli('decoders', 'show')).code, 2);
    assert.equal((await cli('decoders', 'list', 'extra')).code, 2);
    assert.equal((await cli('decoders', 'list', '--yaml')).code, 2);
    const help = await cli('--help');
    assert.match(help.stdout, /^ {2}decoders list +the ingest protocols/m);
  });
});
