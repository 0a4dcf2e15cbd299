/**
 * Every ingest protocol the collector speaks, one line each (ARCHITECTURE.md, "Self-describing components"). The
 * collector's routes, its decode-thread dispatch, the README's ingest rows and `DECODERS.md` are all built from this
 * list; adding a protocol is its module (a descriptor made with `defineDecoder`) plus one line here, then
 * `npm run docs:generate`.
 */
import { decoderRegistry } from './decoder-registry.js';
import { esBulkDecoder, esDocDecoder } from './es-documents.js';
import { k8sAuditDecoder } from './k8s-audit.js';
import { falcoDecoder } from './falco.js';
import { lokiDecoder } from './loki.js';
import { containerLogsDecoder } from './container-logs.js';
import { genericEventsDecoder } from './generic.js';
import { otlpLogsDecoder } from './otlp.js';

export const DECODERS = decoderRegistry(
  [
    esBulkDecoder,
    esDocDecoder,
    k8sAuditDecoder,
    falcoDecoder,
    lokiDecoder,
    containerLogsDecoder,
    genericEventsDecoder,
    otlpLogsDecoder,
  ],
  // Where a decode thread finds this list (see decoder-registry.ts).
  { module: import.meta.url, export: 'DECODERS' },
);
