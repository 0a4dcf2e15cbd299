/**
 * The figures of `npm run bench:peers` as a table per load (rows: metrics; columns: VictoriaLogs, Bulwark, their
 * ratio, whether the answers agreed) and as a dated section of bench/RESULTS.md with the machine it ran on.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, root } from './lib.js';
import { machine } from './npm-start.js';
import { compareAnswers, PROBES, probeLabels, probeMedians, semantics, type ProbePlan, type ProbeRun } from './peers-queries.js';

/** One store's repetition of one load. */
export interface SideRun {
  ingestSeconds: number;
  /** Growth of the data directory, at rest after a graceful stop, per event sent (warm-up included). */
  diskPerEvent: number;
  /** Events of the load's range the store counts once the load was acknowledged (and flushed). */
  stored: number;
  probes?: ProbeRun;
}

export interface LoadResult {
  name: string;
  description: string;
  events: number;
  mb: number;
  plan: ProbePlan;
  /** Where Bulwark keeps the audit fields (peers-bulwark.ts, `auditPrefix`). */
  auditPrefix: string;
  vl: SideRun[];
  bulwark: SideRun[];
  bulwarkOff: SideRun[];
}

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number) => (n < 10 ? `${n.toFixed(2)} ms` : n < 100 ? `${n.toFixed(1)} ms` : `${fmt(n)} ms`);
const ratio = (b: number, v: number) => (Number.isFinite(b / v) ? `${(b / v).toFixed(b / v < 10 ? 2 : 1)}×` : '—');


/** The table of one load, and the notes on where the answers differed. */
export function loadTable(r: LoadResult): { table: string; notes: string[] } {
  const eps = (runs: SideRun[]) => median(runs.map((x) => r.events / x.ingestSeconds));
  const perEvent = (runs: SideRun[]) => median(runs.map((x) => x.diskPerEvent));
  // Every store must hold the whole load before its timings mean anything; said on the ingest rows.
  const stored = (runs: SideRun[]) => {
    const counts = [...new Set(runs.map((x) => x.stored))];
    return counts.length === 1 && counts[0] === r.events ? fmt(r.events) : `**${counts.map(fmt).join('/')}**`;
  };
  const storedText = (runs: SideRun[]) => `stored: VictoriaLogs ${stored(r.vl)}, Bulwark ${stored(runs)} of ${fmt(r.events)}`;
  const rows: string[][] = [];
  const vlEps = eps(r.vl);
  rows.push(['ingest, events/s (correlator on, as `npm start`)', fmt(vlEps), fmt(eps(r.bulwark)), ratio(eps(r.bulwark), vlEps), storedText(r.bulwark)]);
  rows.push(['ingest, events/s (correlator off)', fmt(vlEps), fmt(eps(r.bulwarkOff)), ratio(eps(r.bulwarkOff), vlEps), storedText(r.bulwarkOff)]);
  const vlDisk = perEvent(r.vl);
  rows.push(['disk per event, at rest (correlator on)', `${fmt(vlDisk)} B`, `${fmt(perEvent(r.bulwark))} B`, ratio(perEvent(r.bulwark), vlDisk), '']);
  rows.push(['disk per event, at rest (correlator off)', `${fmt(vlDisk)} B`, `${fmt(perEvent(r.bulwarkOff))} B`, ratio(perEvent(r.bulwarkOff), vlDisk), '']);

  const notes: string[] = [];
  const vlProbes = r.vl.flatMap((x) => (x.probes ? [x.probes] : []));
  const bwProbes = r.bulwarkOff.flatMap((x) => (x.probes ? [x.probes] : []));
  if (vlProbes.length && bwProbes.length) {
    const labels = probeLabels(r.plan);
    const vlMs = probeMedians(vlProbes);
    const bwMs = probeMedians(bwProbes);
    // Every repetition stores the same documents, so the answers of the first compare for all.
    const checks = compareAnswers(vlProbes[0]!, bwProbes[0]!, ['VictoriaLogs', 'Bulwark']);
    for (const kind of PROBES) {
      rows.push([`${labels[kind]}, p50`, ms(vlMs[kind]), ms(bwMs[kind]), ratio(bwMs[kind], vlMs[kind]), checks[kind] === 'same' ? 'same answer' : '**differs** (below)']);
      if (checks[kind] !== 'same') notes.push(`- ${labels[kind]}: ${checks[kind]}. ${semantics(r.auditPrefix)[kind]}`);
    }
  }
  const table = [
    `| ${r.name}: ${r.description} | VictoriaLogs | Bulwark | Bulwark ÷ VL | answers |`,
    '|---|---:|---:|---:|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
  return { table, notes };
}

/** Per-repetition figures, run order: the spread the medians hide. */
export function repLines(r: LoadResult): string {
  const secs = (runs: SideRun[]) => runs.map((x) => x.ingestSeconds.toFixed(2)).join(' ');
  return `${r.name}: ingest s/rep VictoriaLogs ${secs(r.vl)}; Bulwark ${secs(r.bulwark)}; Bulwark correlator off ${secs(r.bulwarkOff)}`;
}

/** How the figures were made, for the dated section of RESULTS.md. */
export interface RunSettings {
  events: number;
  warmUp: number;
  reps: number;
  runs: number;
  batch: number;
  concurrency: number;
  victoriaLogs: string;
  nativeAudit: boolean;
}

/** The dated section: command, machine, method, the tables, the spread per repetition, what each query means. */
export function resultsSection(results: LoadResult[], s: RunSettings, meaning: Record<string, string>): string {
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench:peers -- --events=${s.events} --reps=${s.reps} --runs=${s.runs}${s.nativeAudit ? ' --native-audit' : ''}`;
  const how = [
    `Machine: ${machine()}; both stores and the load generator share it. ${s.events.toLocaleString('en-US')} events per load (${results.map((r) => `${r.name} ${r.mb.toFixed(0)} MB`).join(', ')} of NDJSON), ${s.batch} per request, ${s.concurrency} requests in flight; median of ${s.reps} repetitions alternating VictoriaLogs, Bulwark, Bulwark with the correlator off, each on a fresh data directory after a warm-up load of ${s.warmUp.toLocaleString('en-US')} other events (a day later; outside every query's range).`,
    `VictoriaLogs ${s.victoriaLogs}: \`go install\`, default flags but \`-retentionPeriod=100y\` (the events are dated 2026-11-29), \`_bulk\` with \`_time_field=@timestamp\`, \`_msg_field=log,requestURI\`, a container's fields as stream fields; it acknowledges before its buffers are searchable or on disk (\`/internal/force_flush\` before counting and querying). Bulwark: \`npm start\`, embedded store, durable acknowledgement; the load sent with ${s.nativeAudit ? 'a shipper token granted the `k8s-audit` source (audit lines mapped natively)' : 'the bench (admin) token, as bench:ingest (audit lines stored as sent, as ordinary log documents)'}.`,
    `Disk: growth of the data directory (allocated blocks) from the empty store to the store at rest after a graceful stop, per event sent (warm-up included). Queries: over the load's time range, one untimed run then ${s.runs} timed, p50 over all repetitions, timed in the client from request to last byte (no response compression either side); Bulwark with the correlator off. "same answer": the same events, totals or counts on both sides.`,
  ].join('\n');
  const tables = results.map((r) => {
    const { table, notes } = loadTable(r);
    return `${table}\n${notes.length ? `\nWhere the answers differ:\n${notes.join('\n')}\n` : ''}`;
  });
  const meanings = Object.entries(meaning).map(([k, v]) => `- ${k}: ${v}`).join('\n');
  return `## peers: VictoriaLogs vs Bulwark — ${date}\n\n\`${command}\`. ${how}\n\n${tables.join('\n')}\n${results.map(repLines).join('\n\n')}\n\nWhat each query is on each side:\n${meanings}\n`;
}

/** Inserts a dated section above the previous bench:peers sections (newest first), or above the first section. */
export function writeResults(section: string): string {
  const file = join(root, 'bench/RESULTS.md');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# Benchmark results\n\nFigures from `npm run bench:*`, newest first within each section.\n';
  }
  const marker = text.includes('\n## peers') ? '\n## peers' : '\n## ';
  const at = text.indexOf(marker);
  const head = at >= 0 ? text.slice(0, at) : text.trimEnd() + '\n';
  const rest = at >= 0 ? text.slice(at + 1) : '';
  writeFileSync(file, `${head}\n${section}${rest ? `\n${rest}` : ''}`);
  return file;
}
