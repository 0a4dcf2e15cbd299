export { startResponder, actionContextFrom, PlaybookLoadError, BUNDLED_PLAYBOOKS, type Responder, type ResponderOptions, type ResponderJob } from './responder.js';
export { responderRouter } from './routes.js';
export { buildApp } from './app.js';
