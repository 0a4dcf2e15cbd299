export { buildApp, apiRouter } from './app.js';
export { parseTime, parseDuration } from './params.js';
