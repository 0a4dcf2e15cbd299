/** Writes docs/errors.md from the error catalogue (`npx tsx packages/schema/scripts/generate-error-docs.ts`). */
import { writeFileSync } from 'node:fs';
import { errorDocs } from '../src/error-docs.js';

const target = new URL('../../../docs/errors.md', import.meta.url);
writeFileSync(target, errorDocs());
process.stdout.write(`wrote ${target.pathname}\n`);
