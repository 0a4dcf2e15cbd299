/**
 * `npm run bench:peers`: Bulwark's embedded store beside VictoriaLogs, a best-in-class single-node log store, on the
 * same machine in the same run. The same Elasticsearch `_bulk` bodies, with the same concurrency, go into
 * VictoriaLogs (`/insert/elasticsearch/_bulk`, built from the Go module proxy: peers-victoria.ts) and into the real
 * `npm start` process with the correlator on and off (peers-bulwark.ts), alternating per repetition (VictoriaLogs,
 * Bulwark, Bulwark off, VictoriaLogs, …) on fresh data directories; then both are asked the same questions
 * (peers-queries.ts) and the answers are checked against each other. Prints a table per load and writes it to
 * bench/RESULTS.md (peers-report.ts).
 *
 * Loads (bench/data.ts): `audit`, Kubernetes audit events of about 1.1 KB; `mixed`, 70% container lines of about
 * 200 B and 30% audit events.
 *
 * Options: --events=N per load (default 1000000) --reps=N (default 3) --runs=N timed runs per query (default 5)
 *          --batch=N docs per request (default 1000) --concurrency=N requests in flight (default 2)
 *          --loads=audit,mixed --no-write (don't touch RESULTS.md)
 *          --native-audit (send with a token granted the `k8s-audit` source, so Bulwark maps audit lines natively and
 *          its correlator's rules see them; by default the bench token, as bench:ingest: stored as sent)
 *
 * Without a cached VictoriaLogs binary and without Go on the machine it says so and exits 0 (skipped).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bulkBodies } from './data.js';
import { benchArgs, root } from './lib.js';
import { diskBytes, sendBulk } from './peers-http.js';
import { auditPrefix, startBulwark } from './peers-bulwark.js';
import { AUDIT_FIELDS, describe, PROBES, runProbes, semantics, type ProbePlan } from './peers-queries.js';
import { loadTable, repLines, resultsSection, writeResults, type LoadResult, type SideRun } from './peers-report.js';
import { machine } from './npm-start.js';
import { GoMissing, startVictoriaLogs, VICTORIA_LOGS_VERSION, victoriaLogsBinary } from './peers-victoria.js';

const args = benchArgs();
const EVENTS = Number(args.get('events') ?? 1_000_000);
const REPS = Number(args.get('reps') ?? 3);
const RUNS = Number(args.get('runs') ?? 5);
const BATCH = Number(args.get('batch') ?? 1000);
const CONCURRENCY = Number(args.get('concurrency') ?? 2);
const NATIVE_AUDIT = args.has('native-audit');
/** Events of the warm-up load sent before the measured one. */
const WARM_UP = 4 * BATCH;
const tmp = join(root, 'bench/.tmp/peers');

interface LoadSpec {
  name: string;
  description: string;
  auditShare: number;
  seed: number;
  /** A word of the messages both stores keep for some of the load's events (peers-queries.ts, SEMANTICS.word). */
  word: string;
}

const LOADS: LoadSpec[] = [
  { name: 'audit', description: 'Kubernetes audit events, about 1.1 KB', auditShare: 1, seed: 1, word: 'payments' },
  { name: 'mixed', description: '70% container lines of about 200 B, 30% audit events', auditShare: 0.3, seed: 2, word: 'ERROR' },
];
const wanted = (args.get('loads') ?? 'audit,mixed').split(',');
const unknown = wanted.filter((n) => !LOADS.some((l) => l.name === n));
if (unknown.length) throw new Error(`--loads: unknown ${unknown.join(', ')} (known: ${LOADS.map((l) => l.name).join(', ')})`);

let binary: ReturnType<typeof victoriaLogsBinary>;
try {
  binary = victoriaLogsBinary();
} catch (e) {
  if (!(e instanceof GoMissing)) throw e;
  console.log(`bench:peers skipped: ${e.message}`);
  process.exit(0);
}

type Side = 'vl' | 'bulwark' | 'bulwarkOff';

/**
 * One store, one repetition: a warm-up load (other documents, a day later: so neither side's measured requests pay for
 * connection set-up or JIT), the measured load, a count of what was stored (VictoriaLogs flushed first: it
 * acknowledges before its buffers are searchable), the queries (on VictoriaLogs and on Bulwark with the correlator
 * off), then a graceful stop and the disk use at rest: VictoriaLogs keeps recent parts in memory for seconds, so only
 * after its shutdown flush is the data directory what it stores.
 */
async function runSide(side: Side, spec: LoadSpec, rep: number, bodies: Buffer[], warmUp: Buffer[], plan: ProbePlan): Promise<SideRun> {
  const dir = join(tmp, `${spec.name}-${side}-${rep}`);
  rmSync(dir, { recursive: true, force: true });
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const store =
    side === 'vl' ? await startVictoriaLogs(binary.path, dataDir, join(dir, 'victoria-logs.log')) : await startBulwark(dataDir, side === 'bulwark', NATIVE_AUDIT);
  try {
    const empty = diskBytes(dataDir);
    await sendBulk(store.bulkUrl, store.bulkHeaders, warmUp, CONCURRENCY);
    const ingestSeconds = await sendBulk(store.bulkUrl, store.bulkHeaders, bodies, CONCURRENCY);
    await store.flush();
    const stored = await store.countMatching('all', plan);
    const probes = side === 'bulwark' ? undefined : await runProbes(store, plan, RUNS);
    await store.stop();
    const diskPerEvent = (diskBytes(dataDir) - empty) / (EVENTS + WARM_UP);
    const answers = probes ? `; ${PROBES.map((k) => `${k} ${describe(probes.answers[k])}`).join(', ')}` : '';
    console.log(`  ${spec.name} rep ${rep + 1} ${store.name}: ${Math.round(EVENTS / ingestSeconds).toLocaleString('en-US')} events/s, ${Math.round(diskPerEvent)} B/event, stored ${stored}${answers}`);
    return { ingestSeconds, diskPerEvent, stored, ...(probes ? { probes } : {}) };
  } finally {
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The probes' values, taken from the load: an auditID from its middle, the verb `delete`, the load's word. */
function planOf(spec: LoadSpec, data: ReturnType<typeof bulkBodies>): ProbePlan {
  const middle = data.bodies[Math.floor(data.bodies.length / 2)]!.toString().split('\n');
  const audit = middle.map((l) => (l.includes('"auditID"') ? (JSON.parse(l) as Record<string, string>) : null)).find((d) => d !== null);
  if (!audit) throw new Error(`the ${spec.name} load has no audit event in its middle request`);
  const minute = 60_000;
  return {
    from: new Date(Math.floor(data.firstMs / minute) * minute),
    to: new Date(Math.ceil(data.endMs / minute) * minute),
    auditId: audit[AUDIT_FIELDS.id]!,
    filterValue: 'delete',
    word: spec.word,
    stepMs: minute,
    pageSize: 100,
    topSize: 10,
  };
}

const victoriaLogs = `${VICTORIA_LOGS_VERSION} (${binary.settings || 'build settings unknown'})`;
console.log(`bench:peers: VictoriaLogs ${victoriaLogs} vs npm start; ${EVENTS.toLocaleString('en-US')} events per load, ${REPS} reps, ${RUNS} timed runs per query`);
const results: LoadResult[] = [];
for (const spec of LOADS.filter((l) => wanted.includes(l.name))) {
  const data = bulkBodies(EVENTS, BATCH, spec.auditShare, spec.seed);
  const warmUp = bulkBodies(WARM_UP, BATCH, spec.auditShare, spec.seed + 100).bodies;
  const plan = planOf(spec, data);
  const result: LoadResult = {
    name: spec.name,
    description: spec.description,
    events: EVENTS,
    mb: data.bytes / 1e6,
    plan,
    auditPrefix: auditPrefix(NATIVE_AUDIT),
    vl: [],
    bulwark: [],
    bulwarkOff: [],
  };
  for (let rep = 0; rep < REPS; rep++) {
    result.vl.push(await runSide('vl', spec, rep, data.bodies, warmUp, plan));
    result.bulwark.push(await runSide('bulwark', spec, rep, data.bodies, warmUp, plan));
    result.bulwarkOff.push(await runSide('bulwarkOff', spec, rep, data.bodies, warmUp, plan));
  }
  results.push(result);
}
rmSync(tmp, { recursive: true, force: true });

const meaning = semantics(auditPrefix(NATIVE_AUDIT));
const settings = { events: EVENTS, warmUp: WARM_UP, reps: REPS, runs: RUNS, batch: BATCH, concurrency: CONCURRENCY, victoriaLogs, nativeAudit: NATIVE_AUDIT };
console.log(`\n${machine()}\n`);
for (const r of results) {
  const { table, notes } = loadTable(r);
  console.log(`${table}\n${notes.length ? `\nWhere the answers differ:\n${notes.join('\n')}\n` : ''}`);
}
for (const r of results) console.log(repLines(r));
if (!args.has('no-write')) console.log(`wrote ${writeResults(resultsSection(results, settings, meaning))}`);
