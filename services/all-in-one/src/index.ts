export { buildApp } from './app.js';
export { startEmbedded, type Embedded, type EmbeddedOptions } from './embedded.js';
