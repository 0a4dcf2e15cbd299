export { buildApp } from './app.js';
export { startEmbedded, type Embedded, type EmbeddedOptions } from './embedded.js';
export { startCorrelatorThread, type CorrelatorThread } from './correlator-thread.js';
