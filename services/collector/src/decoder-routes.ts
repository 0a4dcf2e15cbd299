/**
 * The collector's ingest routes, built from a decoder registry (`@bulwark/ingest`'s `DECODERS`): every route and
 * method a decoder declares gets the same chain — `ingest` scope, the source gate of what the decoder speaks for
 * (before the body is read: a refused token costs no decompression), the body limit, then decode → store → answer in
 * the decoder's reply style. Nothing here knows a protocol by name; adding one touches only the registry.
 */
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '@bulwark/config';
import type { DecodeOptions, DecoderRegistry, DecoderReply, DecoderRoute, IngestDecoder } from '@bulwark/ingest';
import type { Metrics } from '@bulwark/metrics';
import type { LogStore } from '@bulwark/store';
import { bodyOf, mediaTypeOf, rawBody, type Authenticator } from '@bulwark/http';
import type { DecodeOutcome, DecodeTask } from './decode-task.js';
import type { Decoder } from './decoder.js';
import { answerBulk, answerSingleDoc } from './es-bulk.js';
import { answerIngest, ingestDecoded } from './ingest.js';
import { answerOtlp } from './otlp-reply.js';
import { countIngested, countRefusedRequests, type SourceTally } from './ingest-metrics.js';
import type { SourceCounters } from './source-counters.js';
import { ingestRoute, nativeSourcesOf, provenanceOf, sourceGate } from './provenance.js';
import { decodeBulkTask } from './split-decode.js';
import { storeFormOf } from './store-batch.js';

/** What the ingest routes need from the process: the ingest settings, the store to write through, the authenticator. */
export interface IngestRouteDeps {
  config: { ingest: Config['ingest'] };
  store: LogStore;
  auth: Pick<Authenticator, 'require'>;
  metrics: Metrics;
  /** Ingestion health per route and token (absent: counted in metrics only). */
  sources?: SourceCounters;
}

interface ReplyContext {
  started: number;
  successStatus: number;
  /** The request's media type (OTLP answers in the encoding it was sent). */
  mediaType: string;
}

type Reply = (res: Response, store: LogStore, outcome: DecodeOutcome, ctx: ReplyContext) => Promise<void>;

const REPLIES: Record<DecoderReply, Reply> = {
  summary: async (res, store, outcome, ctx) => answerIngest(res, await ingestDecoded(store, outcome), ctx.successStatus),
  'es-bulk': (res, store, outcome, ctx) => answerBulk(store, outcome, ctx.started, res),
  'es-doc': (res, store, outcome) => answerSingleDoc(store, outcome, res),
  otlp: (res, store, outcome, ctx) => answerOtlp(res, store, outcome, ctx.mediaType === 'application/x-protobuf'),
};

/** `/{index}/_doc/{id}` → `/:index/_doc/:id` (in Express 5 paths, braces mean an optional part). */
export function expressPath(path: string): string {
  return path.replace(/\{([a-z_]+)\}/g, ':$1');
}

/** Path placeholders, then the decoder's declared query/header parameters, then what the route fixes. */
function paramsOf(req: Request, decoder: IngestDecoder, route: DecoderRoute): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.params)) if (typeof value === 'string') params[name] = value;
  for (const [name, sources] of Object.entries(decoder.requestParams ?? {})) {
    for (const source of sources) {
      const [where, key] = source.split(':') as ['query' | 'header', string];
      const value = where === 'query' ? req.query[key] : req.header(key);
      if (typeof value === 'string' && value !== '') {
        params[name] = value;
        break;
      }
    }
  }
  return { ...params, ...route.fixedParams };
}

function optionsOf(deps: IngestRouteDeps, req: Request, decoder: IngestDecoder, charset: string): DecodeOptions {
  const { ingest } = deps.config;
  return {
    charset,
    maxDepth: Math.min(ingest.max_depth, decoder.limits?.maxDepth ?? Infinity),
    keepOriginal: ingest.keep_original,
    now: new Date(),
    ...(decoder.nativeShapes ? { nativeSources: nativeSourcesOf(req) } : {}),
  };
}

/** The handler chain of one decoder route. */
function routeHandlers(deps: IngestRouteDeps, decoder: Decoder, registry: DecoderRegistry, d: IngestDecoder, route: DecoderRoute): Array<RequestHandler | ErrorRequestHandler> {
  const ingest = ingestRoute(d, route);
  const maxBody = Math.min(deps.config.ingest.max_body_bytes, d.limits?.maxBodyBytes ?? Infinity);
  const reply = REPLIES[d.reply];
  const successStatus = d.successStatus ?? 200;
  const storeForm = storeFormOf(deps.store);
  const tally: SourceTally = { counters: deps.sources, route: ingest.route };
  const handle: RequestHandler = async (req, res) => {
    const started = Date.now();
    const media = mediaTypeOf(req);
    const body = bodyOf(req);
    deps.metrics.inc('ingestBytes', { source: d.source }, body.length);
    const task: DecodeTask = {
      registry: registry.origin,
      decoder: d.name,
      body,
      options: optionsOf(deps, req, d, media.charset),
      mediaType: media.type,
      params: paramsOf(req, d, route),
      provenance: provenanceOf(req, ingest),
      storeForm,
    };
    // A large `_bulk` body is cut and decoded on every decode thread at once (`split-decode.ts`).
    const outcome = d.reply === 'es-bulk' ? await decodeBulkTask(decoder, task) : await decoder.decode(task);
    await reply(res, deps.store, outcome, { started, successStatus, mediaType: media.type });
    countIngested(deps.metrics, d.source, outcome, tally, req.principal);
  };
  // Senders that cannot set a bearer header (Falco's http_output, Promtail basic_auth) may send the token as a Basic
  // password, as on the Elasticsearch surface.
  return [deps.auth.require('ingest', { esSchemes: true }), sourceGate(ingest), rawBody(maxBody), handle, countRefusedRequests(deps.metrics, d.source, tally)];
}

/** Routes for the registry's decoders that `include` selects (the native and Elasticsearch surfaces are mounted apart). */
export function decoderRoutes(deps: IngestRouteDeps, decoder: Decoder, registry: DecoderRegistry, include: (d: IngestDecoder) => boolean): Router {
  const router = Router();
  for (const d of registry.decoders.filter(include)) {
    for (const route of d.routes) {
      const handlers = routeHandlers(deps, decoder, registry, d, route);
      for (const method of route.methods) {
        if (method === 'POST') router.post(expressPath(route.path), ...handlers);
        else router.put(expressPath(route.path), ...handlers);
      }
    }
  }
  return router;
}
