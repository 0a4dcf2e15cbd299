export { buildApp } from './app.js';
export { startDetection, startEmbedded, type Embedded, type EmbeddedOptions } from './embedded.js';
