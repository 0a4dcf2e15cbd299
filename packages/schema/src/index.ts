export * from './event.js';
export * from './errors.js';
