/**
 * Documentation generated from a decoder registry, so it cannot drift from what the collector serves: the README's
 * endpoint-table rows for ingest (each tagged `<!-- decoder:<name> -->` at the end of its line — an HTML comment on a
 * line of its own would end a GitHub table, an extra trailing cell is ignored) and the reference page `DECODERS.md`.
 * `npm run docs:generate` writes both; a test fails when either differs from the registry.
 */
import { BulwarkError } from '@bulwark/schema';
import type { DecoderReply, IngestDecoder } from './decoder-descriptor.js';
import type { DecoderRegistry } from './decoder-registry.js';

const TAG = /<!-- decoder:[a-z0-9-]+ -->\s*$/;

/** A table cell: pipes escaped (also inside code spans, as GitHub tables require), one line. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function routesText(decoder: IngestDecoder): string {
  return decoder.routes.map((r) => `\`${r.methods.join('|')} ${r.path}\``).join(', ');
}

/** The README endpoint-table row of one decoder. */
export function endpointRow(decoder: IngestDecoder): string {
  return `| ${cell(routesText(decoder))} | ingest | ${cell(`${decoder.docs.summary}; speaks for \`${decoder.source}\``)} | <!-- decoder:${decoder.name} -->`;
}

export function endpointRows(registry: DecoderRegistry): string[] {
  return registry.decoders.map(endpointRow);
}

/**
 * `readme` with its tagged decoder rows replaced by `rows`, where the first tagged row was. The tagged rows must be
 * one contiguous block; untagged rows around them are left alone.
 */
export function withEndpointRows(readme: string, rows: readonly string[]): string {
  const lines = readme.split('\n');
  const tagged = lines.flatMap((line, i) => (TAG.test(line) ? [i] : []));
  const first = tagged[0];
  if (first === undefined) {
    throw new BulwarkError('BWK_CONFIG_INVALID', 'README.md has no endpoint-table row tagged <!-- decoder:<name> --> to replace', { file: 'README.md' });
  }
  const last = tagged[tagged.length - 1]!;
  if (last - first + 1 !== tagged.length) {
    throw new BulwarkError('BWK_CONFIG_INVALID', 'the README rows tagged <!-- decoder:<name> --> must be contiguous', { file: 'README.md', line: first + 1 });
  }
  return [...lines.slice(0, first), ...rows, ...lines.slice(last + 1)].join('\n');
}

/** The README's current decoder rows (the tagged lines), for comparison. */
export function taggedRows(readme: string): string[] {
  return readme.split('\n').filter((line) => TAG.test(line));
}

const REPLIES: Record<DecoderReply, string> = {
  summary: "Bulwark's ingest summary `{accepted, created, duplicates, rejected}`; 400 `BWK_INGEST_REJECTED_RECORDS` lists rejected records (the good ones are stored)",
  'es-bulk': "Elasticsearch's bulk response `{took, errors, items}`, one status per item",
  'es-doc': "Elasticsearch's document response, the item's status as the HTTP status",
  otlp: "OTLP's `ExportLogsServiceResponse` in the request's encoding: 200, with `partialSuccess` counting rejected records when some were good (those are stored); 400 with the details when none was",
};

function limitText(own: number | undefined, setting: string, unit: string): string {
  return own === undefined ? `\`${setting}\`` : `${own} ${unit} (or \`${setting}\` when smaller)`;
}

function referenceSection(d: IngestDecoder): string {
  const params = Object.entries(d.requestParams ?? {}).map(([name, from]) => `\`${name}\` from ${from.map((f) => `\`${f}\``).join(', then ')}`);
  const fixed = d.routes.flatMap((r) => Object.entries(r.fixedParams ?? {}).map(([k, v]) => `\`${r.path}\` sets \`${k}=${v}\``));
  const rows: Array<[string, string]> = [
    ['routes', routesText(d)],
    ['body', `${d.body.mediaTypes.map((t) => `\`${t}\``).join(', ')}; charset: ${d.body.charsets === 'any' ? 'any (from Content-Type)' : d.body.charsets}${d.body.compression ? `; ${d.body.compression}` : ''}`],
    ...(params.length || fixed.length ? [['parameters', [...params, ...fixed].join('; ')] as [string, string]] : []),
    ['speaks for', `\`${d.source}\`${d.nativeShapes ? ' (a native audit or Falco document from a token granted that source: `k8s-audit` / `falco`)' : ''}`],
    ['tokens', `\`ingest\` scope; a token restricted by \`sources\` needs one of ${d.accepts.map((s) => `\`${s}\``).join(', ')}`],
    ['limits', `body ${limitText(d.limits?.maxBodyBytes, 'ingest.max_body_bytes', 'bytes')}; nesting ${limitText(d.limits?.maxDepth, 'ingest.max_depth', 'levels')}`],
    ['answer', d.reply === 'summary' ? `\`${d.successStatus ?? 200}\` when every record is good (${d.successStatus === 204 ? 'no body' : 'the summary'}); ${REPLIES.summary}` : REPLIES[d.reply]],
  ];
  return [`## ${d.name}`, '', d.docs.summary, '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${cell(v)} |`), '', d.docs.description, ''].join('\n');
}

/** `DECODERS.md`: every decoder of the registry, in registry order. */
export function decoderReference(registry: DecoderRegistry): string {
  const intro = [
    '# Ingest decoders',
    '',
    'Generated from the decoder registry (`packages/ingest/src/decoders.ts`) by `npm run docs:generate`; a test fails when',
    'this page or the README rows differ from it. Adding a protocol: a module exporting a descriptor (`defineDecoder`, see',
    '`packages/ingest/src/decoder-descriptor.ts`), one line in the registry, then `npm run docs:generate`.',
    '',
    'Every route takes `Content-Encoding: gzip`, `deflate` or `br`; limits apply after decompression (413 above). Every',
    "event is stamped with `bulwark.provenance` (route, protocol = the decoder's name, source, token) by the collector.",
    '',
  ];
  return `${[...intro, ...registry.decoders.map(referenceSection)].join('\n').trimEnd()}\n`;
}
