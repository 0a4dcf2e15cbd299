/**
 * The README's metrics table, generated from the catalogue so it cannot drift from what the services export: one row
 * per metric, tagged `<!-- metric:<name> -->` at the end of its line (as the decoder rows are: an HTML comment on a
 * line of its own would end a GitHub table). `npm run docs:generate` rewrites the rows; a test fails when they differ.
 */
import { BulwarkError } from '@bulwark/schema';
import { METRICS, type MetricDefinition } from './definitions.js';
import type { LabelBound } from './labels.js';

const TAG = /<!-- metric:[a-z0-9_]+ -->\s*$/;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function boundText(bound: LabelBound): string {
  return bound.kind === 'closed' && bound.values.length <= 8 ? bound.values.join(', ') : bound.kind === 'open' ? `${bound.describe}, at most ${bound.max}` : bound.describe;
}

function labelsText(definition: MetricDefinition): string {
  const entries = Object.entries(definition.labels);
  return entries.length === 0 ? '—' : entries.map(([name, bound]) => `\`${name}\` (${boundText(bound)})`).join('; ');
}

function servicesText(definition: MetricDefinition): string {
  return definition.services.length === 4 ? 'every service' : definition.services.join(', ');
}

/** The README row of one metric. */
export function metricRow(definition: MetricDefinition): string {
  const type = definition.updated === 'scrape' ? `${definition.type}, read on scrape` : definition.type;
  return `| \`${definition.name}\` | ${type} | ${cell(labelsText(definition))} | ${servicesText(definition)} | ${cell(definition.help)} | <!-- metric:${definition.name} -->`;
}

export function metricRows(): string[] {
  return Object.values(METRICS).map(metricRow);
}

/** The README's current metric rows (the tagged lines). */
export function taggedMetricRows(readme: string): string[] {
  return readme.split('\n').filter((line) => TAG.test(line));
}

/** `readme` with its tagged metric rows replaced by `rows` (the tagged rows must be one contiguous block). */
export function withMetricRows(readme: string, rows: readonly string[]): string {
  const lines = readme.split('\n');
  const tagged = lines.flatMap((line, i) => (TAG.test(line) ? [i] : []));
  const first = tagged[0];
  if (first === undefined) {
    throw new BulwarkError('BWK_CONFIG_INVALID', 'README.md has no metrics-table row tagged <!-- metric:<name> --> to replace', { file: 'README.md' });
  }
  const last = tagged[tagged.length - 1]!;
  if (last - first + 1 !== tagged.length) {
    throw new BulwarkError('BWK_CONFIG_INVALID', 'the README rows tagged <!-- metric:<name> --> must be contiguous', { file: 'README.md', line: first + 1 });
  }
  return [...lines.slice(0, first), ...rows, ...lines.slice(last + 1)].join('\n');
}
