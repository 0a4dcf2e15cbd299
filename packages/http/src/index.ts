export * from './errors.js';
export * from './auth.js';
export * from './body.js';
export * from './health.js';
export * from './deps.js';
export * from './serve.js';
export * from './client-errors.js';
export * from './metrics-route.js';
