export { buildApp, collectorRouter } from './app.js';
export { elasticProductHeader } from './es-routes.js';
export { ES_COMPAT_VERSION } from './es-info.js';
