/**
 * `bulwark decoders list [--json]`: the ingest protocols this build's collector speaks, read from the decoder registry
 * (`DECODERS` of @bulwark/ingest, no server) — the same list the collector builds its routes and decode dispatch from
 * (docs/ARCHITECTURE.md, "Ingest"), so what this prints is what a collector of this build answers.
 */
import { loadConfig } from '@bulwark/config';
import { DECODERS, type DecoderRegistry, type IngestDecoder } from '@bulwark/ingest';
import { line, registryListCommand, type CliIo } from './io.js';

/** The setting every route's body limit comes from unless a decoder sets a smaller one of its own. */
const BODY_SETTING = 'ingest.max_body_bytes';

export interface DecoderRow {
  name: string;
  summary: string;
  /** `POST|PUT /{index}/_bulk`: methods and the documented path, placeholders in braces. */
  routes: string[];
  media_types: string[];
  /** The decoder's own body limit in bytes; null when only `ingest.max_body_bytes` applies. */
  max_body_bytes: number | null;
  /** The source kind its events speak for (`bulwark.provenance.source`). */
  source: string;
  /** Source kinds a token restricted by `sources` must hold one of to use its routes. */
  accepts: string[];
}

export function decoderRows(registry: DecoderRegistry = DECODERS): DecoderRow[] {
  return registry.decoders.map((d: IngestDecoder) => ({
    name: d.name,
    summary: d.docs.summary,
    routes: d.routes.map((r) => `${r.methods.join('|')} ${r.path}`),
    media_types: [...d.body.mediaTypes],
    max_body_bytes: d.limits?.maxBodyBytes ?? null,
    source: d.source,
    accepts: [...d.accepts],
  }));
}

/** `52428800` → `50 MiB`; exact multiples only, else bytes. */
export function bytesText(bytes: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

const HEADERS = ['DECODER', 'ROUTES', 'CONTENT TYPES', 'BODY LIMIT', 'SOURCE'] as const;

/** One decoder as table cells; a cell with several values takes one line per value. */
function cells(row: DecoderRow): string[][] {
  const limit = row.max_body_bytes === null ? [BODY_SETTING] : [bytesText(row.max_body_bytes), `(or ${BODY_SETTING} if smaller)`];
  return [[row.name], row.routes, row.media_types, limit, [row.source]];
}

/** The table: columns padded to their widest line, a decoder's extra values on continuation lines. */
export function decoderTable(rows: DecoderRow[]): string[] {
  const table = rows.map(cells);
  const widths = HEADERS.map((h, c) => Math.max(h.length, ...table.flatMap((r) => r[c]!.map((v) => v.length))));
  const format = (values: readonly string[]) => values.map((v, c) => v.padEnd(widths[c]!)).join('  ').trimEnd();
  const out = [format(HEADERS)];
  for (const row of table) {
    const height = Math.max(...row.map((cell) => cell.length));
    for (let i = 0; i < height; i++) out.push(format(row.map((cell) => cell[i] ?? '')));
  }
  return out;
}

/** Runs the command; `argv` is what follows `decoders`. */
export function decodersCommand(argv: string[], io: CliIo): number {
  return registryListCommand('decoders', argv, io, decoderRows, (rows) => {
    // The default as the schema has it (no environment read): what applies when a deployment sets nothing.
    const defaultLimit = bytesText(loadConfig({}).ingest.max_body_bytes);
    for (const text of decoderTable(rows)) line(io.stdout, text);
    line(io.stdout);
    line(io.stdout, `${rows.length} decoders. Body limits apply after decompression: ${BODY_SETTING} (BULWARK_MAX_BODY_BYTES, default`);
    line(io.stdout, `${defaultLimit}) on every route, or a decoder's own limit when smaller. Tokens need the ingest scope; see DECODERS.md.`);
  });
}
