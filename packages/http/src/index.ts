export * from './errors.js';
export * from './auth.js';
export * from './body.js';
export * from './health.js';
export * from './runtime.js';
export * from './serve.js';
export * from './bus.js';
export * from './stores.js';
