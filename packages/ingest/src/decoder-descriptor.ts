/**
 * The decoder contract (ARCHITECTURE.md, "Self-describing components"): every ingest protocol is one module that
 * says what it is — its name, the routes and methods it answers, the bodies it reads, the source kind its events speak
 * for, its limits, how a success is answered, its documentation — and how to decode a body. The registry
 * (`decoders.ts`) lists them; the collector builds its routes and its decode-thread dispatch from it, and the README's
 * ingest rows and `DECODERS.md` are generated from it (`npm run docs:generate`).
 *
 * A descriptor holds no HTTP code: the decode function is pure (body + request facts in, events out), so it runs the
 * same inline or on a decode thread, and the descriptor's data is what the collector acts on.
 */
import type { SourceKind } from '@bulwark/schema';
import type { BulkItem } from './bulk.js';
import type { DecodeOptions, DecodeResult } from './options.js';

export type IngestMethod = 'POST' | 'PUT';

export interface DecoderRoute {
  /**
   * The route as documented, with `{name}` placeholders for path parameters: `/v1/ingest/falco`, `/{index}/_doc/{id}`.
   * It is also what `bulwark.provenance.route` records — never the request's own path, which the sender chooses.
   */
  path: string;
  methods: readonly IngestMethod[];
  /** Parameters this route fixes, whatever the request says (e.g. `_create` forces `op_type=create`). */
  fixedParams?: Readonly<Record<string, string>>;
}

/** Where a declared request parameter is read from: the query string or a header, first present wins. */
export type ParamSource = `query:${string}` | `header:${string}`;

/** What a decoder is told about a request besides its (decompressed) body; all of it survives a thread hop. */
export interface DecodeInput {
  body: Buffer;
  options: DecodeOptions;
  /** The Content-Type without parameters, lowercase; `application/json` when none was sent. */
  mediaType: string;
  /** Path placeholders (`index`, `id`), the declared query/header parameters present, and the route's fixed ones. */
  params: Readonly<Record<string, string>>;
}

/** A native protocol decodes to events plus per-record errors; the Elasticsearch document API to items. */
export type DecodedBody = DecodeResult | { items: BulkItem[] };

/**
 * How the collector answers a decoded body:
 * - `summary`: Bulwark's ingest answer — `{accepted, created, duplicates, rejected}` with `successStatus` when every
 *   record was good, else 400 `BWK_INGEST_REJECTED_RECORDS` listing the rejected records;
 * - `es-bulk`: Elasticsearch's bulk response (`{took, errors, items}`), errors rendered Elasticsearch-style;
 * - `es-doc`: Elasticsearch's single-document response, the item's status as the HTTP status;
 * - `otlp`: OTLP/HTTP's `ExportLogsServiceResponse` in the request's encoding — 200, with `partialSuccess` counting the
 *   rejected records when some were good; 400 with the details when none was.
 */
export type DecoderReply = 'summary' | 'es-bulk' | 'es-doc' | 'otlp';

export interface DecoderLimits {
  /** Largest body after Content-Encoding is undone; the smaller of this and `ingest.max_body_bytes` applies. */
  maxBodyBytes?: number;
  /** Deepest record nesting; the smaller of this and `ingest.max_depth` applies. */
  maxDepth?: number;
}

export interface BodyFormat {
  /** Media types the decoder reads, as documented; how it treats others is in its description. */
  mediaTypes: readonly string[];
  /** `any`: every charset label Node's TextDecoder knows, from the Content-Type; else the one it reads. */
  charsets: 'any' | 'utf-8';
  /** Compression inside the body that the decoder itself undoes (Loki's snappy protobuf), if any. */
  compression?: string;
}

export interface IngestDecoder {
  /** Lowercase, dash-separated; recorded as `bulwark.provenance.protocol` on every event it decodes. */
  name: string;
  routes: readonly DecoderRoute[];
  body: BodyFormat;
  /** Request parameters the decoder reads besides path placeholders, each from its first present source. */
  requestParams?: Readonly<Record<string, readonly ParamSource[]>>;
  /** What the events speak for (`bulwark.provenance.source`) unless `nativeShapes` maps one otherwise. */
  source: SourceKind;
  /** The source kinds a restricted token must hold one of to use the routes (403 otherwise). */
  accepts: readonly SourceKind[];
  /**
   * True when a document may be mapped as a native audit event or Falco alert for a token explicitly granted that
   * source (`trust.ts`): the collector then passes the token's grants and the event's dataset decides its source.
   */
  nativeShapes?: boolean;
  limits?: DecoderLimits;
  reply: DecoderReply;
  /** `summary` replies only: the status of a fully accepted body (Loki answers 204); default 200. */
  successStatus?: 200 | 201 | 202 | 204;
  docs: {
    /** One line for the README's endpoint table. */
    summary: string;
    /** What the decoder accepts and how it maps it, for `DECODERS.md`. */
    description: string;
  };
  /** Pure: throws `BulwarkError` for a body refused as a whole, reports bad records in the result. */
  decode(input: DecodeInput): DecodedBody;
}

/** Identity, for type checking and inference at the definition site. */
export function defineDecoder(decoder: IngestDecoder): IngestDecoder {
  return decoder;
}

/** The path placeholders of a route: `/{index}/_doc/{id}` → `['index', 'id']`. */
export function routeParams(path: string): string[] {
  return [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]!);
}
