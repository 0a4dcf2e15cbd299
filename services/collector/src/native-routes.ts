/**
 * The native ingest surface: every registered decoder that answers Bulwark's ingest summary (the audit webhook,
 * Falco, Loki push, container lines, generic events — whatever `DECODERS` lists) or OTLP's own answer. Each is decode → store → answer;
 * see `decoder-routes.ts` for the chain and `ingest.ts` for the acknowledgement rules.
 */
import type { Router } from 'express';
import { DECODERS, type DecoderRegistry } from '@bulwark/ingest';
import type { Decoder } from './decoder.js';
import { decoderRoutes, type IngestRouteDeps } from './decoder-routes.js';

export function nativeIngestRouter(deps: IngestRouteDeps, decoder: Decoder, registry: DecoderRegistry = DECODERS): Router {
  return decoderRoutes(deps, decoder, registry, (d) => d.reply === 'summary' || d.reply === 'otlp');
}
