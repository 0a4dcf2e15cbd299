/**
 * docs/errors.md, rendered from the catalogue: one row per code with its HTTP status and meaning, so the page can
 * never list a code that does not exist or miss one that does (packages/schema/test/catalogue.test.ts compares them).
 */
import { ErrorCatalogue, type ErrorCode } from './errors.js';

/** Escapes what would break a Markdown table cell. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The whole of docs/errors.md. */
export function errorDocs(): string {
  const codes = Object.keys(ErrorCatalogue) as ErrorCode[];
  const rows = codes.map((code) => `| \`${code}\` | ${ErrorCatalogue[code].status} | ${cell(ErrorCatalogue[code].meaning)} |`);
  return [
    '# Error codes',
    '',
    '<!-- Generated from packages/schema/src/errors.ts by `npx tsx packages/schema/scripts/generate-error-docs.ts`; do not edit. -->',
    '',
    'Every error Bulwark reports carries one of these codes. The API answers `{"error":{"code","message","details"}}`',
    'with the status below; a rejected record of an ingest batch is listed with its code in',
    '`details.errors` of `BWK_INGEST_REJECTED_RECORDS`. `details.field` names the offending field when there is one.',
    '',
    '| code | HTTP status | meaning |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
