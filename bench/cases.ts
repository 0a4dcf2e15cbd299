/**
 * `npm run bench:cases`: the cost of recording alerts through `CaseService` during an alert storm, on the embedded
 * SQLite case store (default) or on OpenSearch (`--store=opensearch`, OPENSEARCH_URL from test/.services.env).
 *
 * Why: recording an alert used to scan every stored alert and incident several times and rewrite ever-growing
 * incident documents, so each alert cost more than the one before. This replays a deterministic storm and prints the
 * time per 1,000 alerts at the start and at the end: flat means the cost is independent of how much is stored.
 *
 * The storm: `--rules` rules × many group keys, most alerts from a hot set of rule/key pairs that repeat (and so
 * fold into one alert by suppression), a long tail of new pairs (new alerts), a few replays of earlier ids (as a
 * redelivering bus sends them), all about `--entities` users, so a few incidents take thousands of alerts.
 *
 * The store is configured as the product records alerts (packages/runtime/src/stores.ts, `openCaseStore`), and the
 * settings are printed with the figures:
 * - SQLite: `synchronous = NORMAL`. The correlator records alerts on its own "derived" connection, which skips the
 *   fsync per commit (alerts lost to a power cut are derived again from the events); `store.synchronous` (FULL by
 *   default) only governs people's changes to cases. `--synchronous=FULL` measures that, disk included.
 * - OpenSearch: every write with `refresh=true` (the next lookup of a recording sees it) and the engine's default
 *   index refresh interval, as `openCaseStore` opens the case store. `--refresh=wait_for --refresh-interval=50ms`
 *   measures the adapter's own default instead (what earlier figures used).
 *
 * Options: --alerts=N (default 20000) --rules=N (300) --entities=N (8) --hot=N (hot rule/key pairs, 200)
 *          --hot-share=F (0.7) --replays=F (0.05) --concurrency=N (alerts in flight, 1) --store=sqlite|opensearch
 *          --synchronous=NORMAL|FULL (SQLite) --refresh=true|wait_for --refresh-interval=DURATION (OpenSearch)
 * Nothing is written to bench/RESULTS.md; the figures are printed.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaseService } from '@bulwark/cases';
import type { AlertInput } from '@bulwark/schema';
import { SearchCaseStore, SqliteCaseStore, type CaseStore } from '@bulwark/store';
import { benchArgs, median, prng } from './lib.js';

const args = benchArgs();
const num = (name: string, fallback: number): number => Number(args.get(name) ?? fallback);
const ALERTS = num('alerts', 20_000);
const RULES = num('rules', 300);
const ENTITIES = num('entities', 8);
const HOT = num('hot', 200);
const HOT_SHARE = num('hot-share', 0.7);
const REPLAYS = num('replays', 0.05);
const CONCURRENCY = num('concurrency', 1);
const STORE = args.get('store') ?? 'sqlite';
/** SQLite `synchronous`: NORMAL, as the correlator's connection records alerts; FULL fsyncs every commit. */
const SYNCHRONOUS = args.get('synchronous') === 'FULL' ? 'FULL' : 'NORMAL';
/** OpenSearch: `refresh` per write (`true` as the runtime opens the case store) and the index refresh interval. */
const REFRESH = args.get('refresh') === 'wait_for' ? 'wait_for' : true;
const REFRESH_INTERVAL = args.get('refresh-interval');
/** What the figures were measured with, printed beside them. */
const SETTINGS =
  STORE === 'sqlite'
    ? `synchronous ${SYNCHRONOUS}${SYNCHRONOUS === 'NORMAL' ? ', as the correlator records alerts' : ", as people's case changes are written: the store.synchronous default"}`
    : `refresh=${REFRESH}, index refresh_interval ${REFRESH_INTERVAL ?? 'engine default (1s)'}${REFRESH === true && REFRESH_INTERVAL === undefined ? ', as the runtime opens the case store' : ''}`;
const CHUNK = 1000;
const T0 = Date.parse('2026-11-20T10:00:00.000Z');

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** Alert `i` of the storm: a hot pair, a long-tail pair, or a replay of an earlier alert (same id and body). */
function storm(): AlertInput[] {
  const rnd = prng(42);
  const pick = (n: number) => Math.floor(rnd() * n);
  const out: AlertInput[] = [];
  for (let i = 0; i < ALERTS; i++) {
    if (i > 0 && rnd() < REPLAYS) {
      out.push(out[pick(i)]!);
      continue;
    }
    const hot = rnd() < HOT_SHARE;
    const pair = pick(HOT);
    const rule = hot ? pair % RULES : pick(RULES);
    const key = hot ? pair : HOT + pick(100_000);
    const user = `svc-${key % ENTITIES}`;
    const seen = new Date(T0 + i * 50).toISOString();
    out.push({
      id: `al-${i.toString(36)}-${rule}-${key}`,
      rule: { id: `rule-${rule}`, name: `Rule ${rule}`, level: SEVERITIES[rule % 4]!, tags: ['attack.t1609', `bench.r${rule % 10}`] },
      severity: SEVERITIES[rule % 4]!,
      group_key: `user:${user}/${key}`,
      entity: { kind: 'user', value: user },
      event_ids: [`ev-${i}-a`, `ev-${i}-b`],
      first_seen: seen,
      last_seen: seen,
      source: 'rule',
      labels: { cluster: 'eu-1' },
    });
  }
  return out;
}

async function openStore(): Promise<{ store: CaseStore; size: () => string; close: () => Promise<void> }> {
  if (STORE === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-bench-cases-'));
    const path = join(dir, 'cases.db');
    const store = new SqliteCaseStore({ path, synchronous: SYNCHRONOUS });
    await store.init();
    return {
      store,
      size: () => `${(statSync(path).size / 1e6).toFixed(1)} MB (+wal ${(statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0) / 1e6} MB)`,
      close: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  if (STORE !== 'opensearch') throw new Error(`--store must be sqlite or opensearch, not ${STORE}`);
  const url = process.env.OPENSEARCH_URL;
  if (!url) throw new Error('OPENSEARCH_URL is not set: source test/.services.env');
  const prefix = `bench-cases-${Date.now().toString(36)}`;
  const store = new SearchCaseStore({ engine: { kind: 'opensearch', url }, prefix, replicas: 0, refresh: REFRESH, ...(REFRESH_INTERVAL ? { refreshInterval: REFRESH_INTERVAL } : {}) });
  await store.init();
  return {
    store,
    size: () => `indices ${prefix}-*`,
    close: async () => {
      await fetch(`${url}/${prefix}-*`, { method: 'DELETE' }).catch(() => undefined);
      await store.close();
    },
  };
}

async function main(): Promise<void> {
  console.log(`store ${STORE}: ${SETTINGS}`);
  const alerts = storm();
  const { store, size, close } = await openStore();
  const cases = new CaseService(store, { suppressionWindowMs: 10 * 60_000, incidentWindowMs: 60 * 60_000 });
  const outcomes = { created: 0, suppressed: 0, duplicate: 0 };
  const chunks: number[] = [];
  /** CPU time of this process per chunk: on a shared, noisy machine it shows the work done apart from waiting. */
  const cpuChunks: number[] = [];
  const started = performance.now();
  let chunkStart = started;
  let cpuStart = process.cpuUsage();
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < alerts.length) {
      const alert = alerts[next++]!;
      const result = await cases.recordAlert(alert, 'correlator');
      outcomes[result.outcome]++;
      if (++done % CHUNK === 0) {
        const now = performance.now();
        chunks.push(now - chunkStart);
        chunkStart = now;
        const cpu = process.cpuUsage(cpuStart);
        cpuChunks.push((cpu.user + cpu.system) / 1000);
        cpuStart = process.cpuUsage();
        process.stdout.write(`  ${done} alerts: ${((now - started) / 1000).toFixed(1)} s, last 1,000 in ${chunks.at(-1)!.toFixed(0)} ms (cpu ${cpuChunks.at(-1)!.toFixed(0)} ms)\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const total = performance.now() - started;
  const incidents = await store.query<{ id: string; alert_count: number }>('incidents', { size: 1000 });
  const k = Math.max(1, Math.min(3, Math.floor(chunks.length / 4)));
  console.log(`\nstore ${STORE} (${SETTINGS}), ${ALERTS} alerts, ${RULES} rules, ${ENTITIES} entities, concurrency ${CONCURRENCY}`);
  console.log(`outcomes: ${JSON.stringify(outcomes)}; incidents ${incidents.items.length}, alerts in them ${incidents.items.reduce((n, i) => n + i.record.alert_count, 0)}`);
  console.log(`per 1,000 alerts: first ${chunks[0]?.toFixed(0)} ms, last ${chunks.at(-1)?.toFixed(0)} ms`);
  console.log(`per 1,000 alerts, median of the first ${k} / last ${k} chunks: ${median(chunks.slice(0, k)).toFixed(0)} ms / ${median(chunks.slice(-k)).toFixed(0)} ms`);
  console.log(`cpu per 1,000 alerts, median of the first ${k} / last ${k} chunks: ${median(cpuChunks.slice(0, k)).toFixed(0)} ms / ${median(cpuChunks.slice(-k)).toFixed(0)} ms`);
  console.log(`total ${(total / 1000).toFixed(1)} s, ${((ALERTS / total) * 1000).toFixed(0)} alerts/s; store ${size()}`);
  await close();
}

await main();
