export { buildApp, collectorRouter } from './app.js';
export { elasticProductHeader } from './es-routes.js';
export { ES_COMPAT_VERSION } from './es-info.js';
export { ingestRouter } from './ingest-router.js';
export { createDecoder, type Decoder } from './decoder.js';
export type { IngestRouteDeps } from './decoder-routes.js';
export { SourceCounters, sampled, type CountedToken, type SourceCountersOptions } from './source-counters.js';
