/**
 * Rewrites the README's metrics table from the catalogue (`npm run docs:generate`); packages/metrics/test/docs.test.ts
 * fails when it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { metricRows, withMetricRows } from '../src/index.js';

const readme = new URL('../../../README.md', import.meta.url);
writeFileSync(readme, withMetricRows(readFileSync(readme, 'utf8'), metricRows()));
process.stdout.write(`wrote the metric rows of ${readme.pathname}\n`);
