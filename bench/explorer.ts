/**
 * The explorer on a big embedded store: 1,000,000 mixed events (audit, container logs, Falco; explorer-data.ts)
 * written straight through the SQLite LogStore in batches, then the real HTTP app (`buildApp`) timed on what the
 * console asks first: `GET /v1/search` first page (size 100) for representative queries and `GET /v1/histogram` over
 * the whole span, each p50/p95 over `--runs` runs after one warm-up. The target is a first page ≤ 300 ms p95.
 *
 *   npm run bench:explorer -- [--events=1000000] [--runs=20] [--fresh] [--only=search|histogram]
 *
 * The store is kept in bench/.tmp/explorer-<events> between runs (generating it takes a minute); `--fresh` rebuilds it.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfig } from '@bulwark/config';
import { mintToken } from '@bulwark/http';
import { apiDeps, caseServiceFrom, openCases, openCore } from '@bulwark/runtime';
import { BlockLogStore, eventToRow, type EventRow } from '@bulwark/store';
import { buildApp } from '@bulwark/api';
import { benchArgs, percentile, root } from './lib.js';
import { explorerEvents } from './explorer-data.js';

const args = benchArgs();
const EVENTS = Number(args.get('events') ?? 1_000_000);
const RUNS = Number(args.get('runs') ?? 20);
const ONLY = args.get('only');
const END = Date.parse('2026-12-01T00:00:00.000Z');
const SPAN = 7 * 86_400_000;
const dir = join(root, 'bench/.tmp', `explorer-${EVENTS}`);
const marker = join(dir, 'complete');

async function fill(): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = new BlockLogStore({ path: join(dir, 'bulwark.db'), synchronous: 'NORMAL' });
  await store.init();
  const started = performance.now();
  let batch: EventRow[] = [];
  let n = 0;
  for (const event of explorerEvents(EVENTS, END, SPAN)) {
    batch.push(eventToRow(event, batch.length));
    if (batch.length === 5000) {
      store.appendRows(batch);
      n += batch.length;
      batch = [];
      if (n % 100_000 === 0) process.stdout.write(`  ${n} events, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
    }
  }
  if (batch.length) store.appendRows(batch);
  store.database.pragma('wal_checkpoint(TRUNCATE)');
  await store.close();
  writeFileSync(marker, `${EVENTS}\n`);
  console.log(`wrote ${EVENTS} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  if (args.has('fresh') || !existsSync(marker)) await fill();
  const core = await openCore(loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_SQLITE_SYNCHRONOUS: 'NORMAL' }), pino({ level: 'silent' }));
  const deps = apiDeps(core, caseServiceFrom(core.config, await openCases(core), null), null);
  const minted = mintToken('bench', ['read']);
  await deps.tokens.put(minted.stored);
  const server = buildApp(deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = async (path: string): Promise<{ ms: number; body: Record<string, unknown> }> => {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${minted.secret}` } });
    const body = (await res.json()) as Record<string, unknown>;
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return { ms, body };
  };
  // A pod of the newest event: a filter matching about 1 event in 400.
  const newest = (await get('/v1/search?size=1')).body.hits as Array<{ kubernetes?: { pod?: { name?: string } } }>;
  const pod = (await get('/v1/search?size=1&q=event.dataset:kubernetes.container_logs')).body.hits as typeof newest;
  const podName = pod[0]?.kubernetes?.pod?.name ?? newest[0]?.kubernetes?.pod?.name ?? 'none';
  const podHit = pod[0] as { kubernetes?: { namespace?: string; pod?: { uid?: string } } } | undefined;
  const contextQuery = `kubernetes.pod.uid:"${podHit?.kubernetes?.pod?.uid}" OR (kubernetes.pod.name:"${podName}" AND kubernetes.namespace:"${podHit?.kubernetes?.namespace}")`;
  // An address of the newest audit event: one of about 250,000, so a handful of events in all.
  const audit = (await get('/v1/search?size=1&q=event.dataset:kubernetes.audit')).body.hits as Array<{ source?: { ip?: string } }>;
  const rareIp = audit[0]?.source?.ip ?? '10.0.0.1';
  const mid = new Date(END - SPAN / 2);
  const hour = `from=${mid.toISOString()}&to=${new Date(mid.getTime() + 3_600_000).toISOString()}`;
  const all = `from=${new Date(END - SPAN).toISOString()}&to=${new Date(END).toISOString()}`;
  const q = (text: string) => encodeURIComponent(text);
  const cases: Array<[label: string, path: string]> = [
    ['search: match all', '/v1/search?size=100'],
    ['search: event.dataset:falco.alerts (5%)', `/v1/search?size=100&q=${q('event.dataset:falco.alerts')}`],
    ['search: kubernetes.namespace:payments (12%)', `/v1/search?size=100&q=${q('kubernetes.namespace:payments')}`],
    ['search: user.name:"alice@example.com" (8% of audit)', `/v1/search?size=100&q=${q('user.name:"alice@example.com"')}`],
    [`search: kubernetes.pod.name:<one pod> (0.25%)`, `/v1/search?size=100&q=${q(`kubernetes.pod.name:${podName}`)}`],
    ['search: source.ip:<one address> (a handful of events)', `/v1/search?size=100&q=${q(`source.ip:"${rareIp}"`)}`],
    ['search: the context view\'s pod query (uid OR name and namespace)', `/v1/search?size=100&q=${q(contextQuery)}`],
    ['search: free text checkout (common)', `/v1/search?size=100&q=checkout`],
    ['search: free text apt-get (1%)', `/v1/search?size=100&q=${q('apt-get')}`],
    ['search: time range, 1 hour', `/v1/search?size=100&${hour}`],
    ['search: time range 1 hour AND free text status=500', `/v1/search?size=100&${hour}&q=${q('"status=500"')}`],
    ['histogram: match all, whole span (1M)', `/v1/histogram?${all}`],
    ['histogram: kubernetes.namespace:payments, whole span', `/v1/histogram?${all}&q=${q('kubernetes.namespace:payments')}`],
    ['histogram: free text checkout, whole span', `/v1/histogram?${all}&q=checkout`],
  ];
  const rows: string[] = [];
  for (const [label, path] of cases.filter(([label]) => !ONLY || label.startsWith(ONLY))) {
    const first = await get(path); // warm-up: statement preparation, page cache
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push((await get(path)).ms);
    times.sort((a, b) => a - b);
    const hits = Array.isArray(first.body.hits) ? `${first.body.hits.length} hits` : `total ${first.body.total}`;
    const p95 = percentile(times, 95);
    const target = label.startsWith('search') ? (p95 <= 300 ? 'met' : '**missed**') : '—';
    rows.push(`| ${label} | ${hits} | ${percentile(times, 50).toFixed(1)} ms | ${p95.toFixed(1)} ms | ${times[times.length - 1]!.toFixed(1)} ms | ${target} |`);
    console.log(rows[rows.length - 1]);
  }
  server.closeAllConnections();
  server.close();
  await core.lifetime.close();
  console.log(`\nMachine: ${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${EVENTS} events, ${RUNS} runs each, ${new Date().toISOString().slice(0, 10)}`);
  console.log('| request | answer | p50 | p95 | max | ≤ 300 ms p95 |\n|---|---|---:|---:|---:|---|');
  console.log(rows.join('\n'));
}

await main();
