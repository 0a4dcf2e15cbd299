/**
 * @bulwark/metrics — Bulwark's own Prometheus metrics: the self-describing catalogue (definitions.ts), label bounds
 * (labels.ts), the per-process registry roots create and hand to services (registry.ts), and the README rows
 * generated from the catalogue (docs.ts).
 */
export * from './definitions.js';
export * from './labels.js';
export * from './registry.js';
export * from './docs.js';
