/**
 * Detection benchmark (`npm run bench:detect`).
 *
 * Part A — engine throughput on one core: decoded events (bench/detect-events.ts: audit, Falco, container logs, as
 * the collector stores them) through `RuleSet.match` and `CorrelationEngine.process` with in-memory state, exactly
 * the correlator's per-event work minus the bus and the alert writes. Configurations: the bundled rules, the bundled
 * rules plus 100/250/500 generated ones (bench/detect-rules.ts), the bundled rules matching only (no correlation),
 * with temporal_ordered state kept as before the unstarted-step pruning (reference), and with SQLite window state
 * flushed once per 500-event batch (embedded mode, `SqliteCorrelationState`). Each rep
 * runs every configuration in turn (alternating, as the VM is noisy) on a fresh engine; medians are reported.
 *
 *   npm run bench:detect -- [--events 100000] [--reps 3] [--only 'bundled,bundled match-only,+500']
 *
 * Part B — latency from collector acknowledgement to alert visible in the API (p50/p99, embedded and BullMQ/Redis):
 * `--latency` runs bench/alert-latency.ts for both modes (scale mode needs `test/services/up`) instead of Part A.
 *
 *   npm run bench:detect -- --latency [--probes 200] [--background 500] [--storm 0] [--modes embedded,redis]
 *
 * `--background` is ordinary audit traffic that fires no alert; `--storm` adds that many events/s that each fire a new
 * alert (an alert storm), to show how far detection then lags behind acknowledgement.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BUNDLED_RULES_DIR, compileCorrelations, compileRules, CorrelationEngine, findRuleFiles, InMemoryCorrelationState, loadSigmaFiles,
  type WindowSpec,
} from '@bulwark/detection';
import { SqliteCorrelationState } from '@bulwark/store';
import { generateEvents } from './detect-events.js';
import { generateRules } from './detect-rules.js';
import { median } from './lib.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    reps: { type: 'string', default: '3' },
    only: { type: 'string' },
    latency: { type: 'boolean', default: false },
    probes: { type: 'string', default: '200' },
    background: { type: 'string', default: '500' },
    storm: { type: 'string', default: '0' },
    modes: { type: 'string', default: 'embedded,redis' },
  },
});

if (args.latency) {
  // LATENCY (Part B): collector acknowledgement → alert visible in GET /v1/alerts/:id, embedded (all-in-one with the
  // correlator on) and scale mode (collector, api and correlator processes over BullMQ/Redis and OpenSearch).
  const { measureAlertLatency } = await import('./alert-latency.js');
  console.log(`\n### Acknowledgement → alert visible (p50/p99) — ${new Date().toISOString().slice(0, 10)}\n`);
  console.log(`Machine: \`nproc\` ${cpus().length}, ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}.\n`);
  console.log('| mode | probes | background events/s | storm alerts/s | p50 ms | p90 ms | p99 ms | max ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const mode of args.modes!.split(',') as Array<'embedded' | 'redis'>) {
    const r = await measureAlertLatency(mode, Number(args.probes), Number(args.background), Number(args.storm));
    console.log(`| ${r.mode} | ${r.probes} | ${r.backgroundEventsPerSecond} | ${r.stormAlertsPerSecond} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.max.toFixed(1)} |`);
  }
  process.exit(0);
}

interface Config {
  name: string;
  extraRules: number;
  correlate: boolean;
  keepUnstarted?: boolean;
  /** Window state in SQLite (embedded mode across restarts), flushed once per bus batch of `BATCH` events. */
  sqlite?: boolean;
}
const BATCH = 500;
const CONFIGS: Config[] = [
  { name: 'bundled', extraRules: 0, correlate: true },
  { name: 'bundled match-only', extraRules: 0, correlate: false },
  { name: 'bundled ordered-as-before', extraRules: 0, correlate: true, keepUnstarted: true },
  { name: 'bundled sqlite-state', extraRules: 0, correlate: true, sqlite: true },
  { name: '+100', extraRules: 100, correlate: true },
  { name: '+250', extraRules: 250, correlate: true },
  { name: '+500', extraRules: 500, correlate: true },
];
const selected = args.only ? CONFIGS.filter((c) => args.only!.split(',').includes(c.name)) : CONFIGS;

const bundledFiles = findRuleFiles(BUNDLED_RULES_DIR).map((file) => ({ file, source: readFileSync(file, 'utf8') }));
function build(config: Config) {
  const { rules, correlations } = loadSigmaFiles([...bundledFiles, ...generateRules(config.extraRules)]);
  const ruleset = compileRules(rules);
  const set = compileCorrelations(correlations, rules);
  if (config.keepUnstarted) for (const c of set.correlations) (c.spec as WindowSpec).keepUnstarted = true;
  return { ruleset, set, ruleCount: rules.length, correlationCount: correlations.length };
}

const total = Number(args.events);
const reps = Number(args.reps);
const t0 = performance.now();
const mix = generateEvents(total);
console.error(`generated and decoded ${total} events in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(mix.byDataset)}`);

interface Run { eventsPerSec: number; usPerEvent: number; eventsPerCpuSec: number; matched: number; correlated: number; evaluationsPerEvent: number; stateKeys: number; stateEntries: number }

async function measure(config: Config): Promise<Run> {
  const { ruleset, set } = build(config);
  const now = () => Date.parse('2026-11-29T08:00:00.000Z');
  const dir = config.sqlite ? mkdtempSync(join(tmpdir(), 'bulwark-bench-detect-')) : undefined;
  const memory = new InMemoryCorrelationState(now);
  const sqlite = dir ? new SqliteCorrelationState(join(dir, 'bulwark.db'), { now }) : undefined;
  const engine = new CorrelationEngine(set, { state: sqlite ?? memory, allowedLatenessMs: 60_000 }); // the correlator's default
  let matched = 0;
  let correlated = 0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  for (const [i, event] of mix.events.entries()) {
    if (sqlite && i % BATCH === BATCH - 1) sqlite.flush();
    const hits = ruleset.match(event);
    if (hits.length === 0) continue;
    matched += hits.length;
    if (config.correlate) correlated += (await engine.process(event, hits.map((m) => m.rule.id ?? m.rule.name ?? m.rule.title))).length;
  }
  sqlite?.flush();
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const kept = sqlite ? undefined : memory.snapshot().entries;
  const run: Run = {
    eventsPerSec: (total / ms) * 1000,
    usPerEvent: (ms * 1000) / total,
    eventsPerCpuSec: (total / (cpu.user + cpu.system)) * 1e6,
    matched,
    correlated,
    evaluationsPerEvent: ruleset.evaluations / total,
    stateKeys: kept?.length ?? sqlite!.size,
    stateEntries: kept?.reduce((n, e) => n + e.state.entries.length, 0) ?? NaN,
  };
  sqlite?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  return run;
}

const results = new Map<Config, Run[]>(selected.map((c) => [c, []]));
for (const config of selected) await measure(config); // warm-up: JIT, rule compilation caches
for (let rep = 0; rep < reps; rep++) {
  for (const config of selected) {
    const run = await measure(config);
    results.get(config)!.push(run);
    console.error(`rep ${rep + 1} ${config.name}: ${Math.round(run.eventsPerSec)} events/s, ${Math.round(run.eventsPerCpuSec)} per CPU second`);
  }
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const lines = [
  `### Detection engine throughput (one core, main thread) — ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Machine: ${cpus().length} vCPU, ${cpu}, Node ${process.version}. ${total} decoded events (${Object.entries(mix.byDataset).map(([d, n]) => `${d} ${n}`).join(', ')}), ` +
    `${Math.round(total / (mix.spanMs / 1000))} events/s of event time (${Math.round(mix.spanMs / 60_000)} min), allowed lateness 60 s, in-memory state. Median of ${reps} alternating reps after a warm-up.`,
  '',
  '| Configuration | Rules (+correlations) | events/s | µs/event | events per CPU-second | rule evaluations/event | rule matches | correlation matches | state keys / entries at end |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
];
for (const [config, runs] of results) {
  const { ruleCount, correlationCount } = build(config);
  const last = runs[runs.length - 1]!;
  lines.push(
    `| ${config.name} | ${ruleCount} (+${correlationCount}) | ${Math.round(median(runs.map((r) => r.eventsPerSec))).toLocaleString('en-US')} | ` +
      `${median(runs.map((r) => r.usPerEvent)).toFixed(2)} | ${Math.round(median(runs.map((r) => r.eventsPerCpuSec))).toLocaleString('en-US')} | ${last.evaluationsPerEvent.toFixed(1)} | ${last.matched} | ${config.correlate ? last.correlated : '–'} | ` +
      `${config.correlate ? `${last.stateKeys} / ${Number.isNaN(last.stateEntries) ? '–' : last.stateEntries}` : '–'} |`,
  );
}
console.log(lines.join('\n'));
