export * from './event.js';
export * from './errors.js';
export * from './alert.js';
export * from './incident.js';
export * from './run.js';
export * from './provenance.js';
export * from './timeout.js';
export * from './error-docs.js';
