/**
 * Rewrites the README's ingest endpoint rows and packages/ingest/DECODERS.md from the decoder registry
 * (`npm run docs:generate`); test/docs.test.ts fails when they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DECODERS, decoderReference, endpointRows, withEndpointRows } from '../src/index.js';

const readme = new URL('../../../README.md', import.meta.url);
const reference = new URL('../DECODERS.md', import.meta.url);
writeFileSync(readme, withEndpointRows(readFileSync(readme, 'utf8'), endpointRows(DECODERS)));
writeFileSync(reference, decoderReference(DECODERS));
process.stdout.write(`wrote the decoder rows of ${readme.pathname} and ${reference.pathname}\n`);
