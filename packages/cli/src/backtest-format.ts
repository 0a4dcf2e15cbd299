/**
 * The human-readable backtest report: a header (rule, range, what was scanned), one line per would-be alert, the
 * counts per rule, and — never silently — what a bound left out (hits beyond `--limit`, events beyond `--max-events`).
 */
import type { BacktestHit, BacktestResult } from '@bulwark/detection';
import { line, type CliIo } from './io.js';

/** What a hit is about: a correlation's group values and size, else the event's message. */
function describeHit(hit: BacktestHit): string {
  if (hit.group) {
    const group = Object.entries(hit.group).map(([k, v]) => `${k}=${v}`).join(' ');
    const size = hit.distinct !== undefined ? `${hit.distinct} distinct` : hit.sum !== undefined ? `sum ${hit.sum}` : hit.avg !== undefined ? `avg ${hit.avg}` : `${hit.count ?? hit.event_count}`;
    return `${group} (${size}, ${hit.event_count} events)`;
  }
  return `${hit.event_ids[0] ?? '(no event id)'}  ${hit.summary ?? ''}`.trimEnd();
}

export function printBacktest(out: CliIo['stdout'], result: BacktestResult, from: Date, to: Date, maxEvents: number | undefined): void {
  const { rule } = result;
  line(out, `rule      ${rule.title} (${rule.id}) [${rule.kind}, ${rule.level}]`);
  line(out, `range     ${from.toISOString()} .. ${to.toISOString()}`);
  line(out, `datasets  ${result.datasets.join(', ') || '(all)'}`);
  line(out, `scanned   ${result.scanned} events; ${result.matches} would have fired`);
  if (result.hits.length > 0) {
    line(out);
    line(out, `${'FIRST SEEN'.padEnd(24)}  ${'LAST SEEN'.padEnd(24)}  WHAT`);
    for (const hit of result.hits) line(out, `${hit.first_seen.padEnd(24)}  ${hit.last_seen.padEnd(24)}  ${describeHit(hit)}`);
  }
  if (result.hits_omitted > 0) line(out, `… ${result.hits_omitted} more not listed (raise --limit or use --json)`);
  line(out);
  line(out, 'matches by rule:');
  for (const [id, entry] of Object.entries(result.by_rule)) {
    line(out, `  ${String(entry.matches).padStart(7)}  ${entry.kind.padEnd(11)}  ${entry.level.padEnd(13)}  ${entry.title} (${id})`);
  }
  if (result.truncated) {
    line(out);
    line(out, `TRUNCATED: stopped after --max-events ${maxEvents} at ${result.scanned_until}; the counts cover only that part.`);
    line(out, `Continue with --from ${result.scanned_until} (events of that instant may be counted twice).`);
  }
}
