/**
 * Latency from collector acknowledgement to alert visible in the API (issue 4 item 8), p50 and p99:
 * - `embedded`: the `npm start` process (SQLite, in-process correlator on the store-backed bus);
 * - `redis`: scale mode, three processes — collector, api and one correlator — on a real OpenSearch (store and cases)
 *   and BullMQ on a real Redis (needs test/services/up; their addresses are read from test/.services.env).
 *
 * Each probe is one audit event (an exec into a pod by a user never seen before, so no suppression folds it) posted
 * to the Kubernetes audit webhook; the clock starts when the 200 arrives and stops at the first `GET /v1/alerts/:id`
 * that finds the alert, polled every 5 ms. The alert id is computed the way the correlator computes it (rule id +
 * event id), from the same decoder the collector runs. A background stream of ordinary audit traffic (that fires no
 * alert) keeps the pipeline busy meanwhile, so the figure is not an idle best case.
 *
 * `--storm=N` adds an alert storm to the background: N events/s that each fire an alert (an exec by a user never seen
 * before: a new alert and a new incident each, no suppression), so the figure shows how far detection lags behind
 * acknowledgement when alerts come faster than they are recorded.
 *
 * Usage: tsx bench/alert-latency.ts [--mode=embedded|redis] [--probes=N] [--background=events/s] [--storm=alerts/s]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeK8sAudit } from '@bulwark/ingest';
import { alertForRule, loadRuleDir } from '@bulwark/correlator';
import { BUNDLED_RULES_DIR } from '@bulwark/detection';
import { listeningPort } from '../test/support/process.js';
import { benchArgs, percentile, readServicesEnv, root } from './lib.js';
import { serviceScript } from '../test/support/npm-script.js';

const TOKEN = 'bench-latency-token-0123456789abcdef';
/** rules/kubernetes/pod_exec_attach.yml */
const EXEC_RULE = '1fea1988-ca78-480b-a140-a99798d3a434';

export type LatencyMode = 'embedded' | 'redis';

export interface LatencyResult {
  mode: LatencyMode;
  probes: number;
  backgroundEventsPerSecond: number;
  /** Background events per second that each fire an alert (0: none). */
  stormAlertsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface Proc {
  child: ChildProcess;
  url: string;
}

/** The addresses test/services/up wrote (OPENSEARCH_URL, REDIS_URL), unless already in the environment. */
function servicesEnv(): Record<string, string> {
  return { ...readServicesEnv(), ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)) };
}

async function startProcess(service: Parameters<typeof serviceScript>[0], env: Record<string, string>): Promise<Proc> {
  const script = serviceScript(service);
  const child = spawn(script.command, script.args, {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BULWARK_PORT: '0', BULWARK_HOST: '127.0.0.1', BULWARK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The listening line is logged at info; keep the level at info until it is seen, warn would hide it.
  const { port } = await listeningPort(child, 90_000);
  return { child, url: `http://127.0.0.1:${port}` };
}

function stop(p: Proc): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.once('exit', () => resolve());
    p.child.kill('SIGTERM');
    setTimeout(() => p.child.kill('SIGKILL'), 10_000).unref();
  });
}

/** Starts the deployment under test; returns the ingest and API base URLs and a stop function. */
async function deploy(mode: LatencyMode, dir: string): Promise<{ ingest: string; api: string; stop(): Promise<void> }> {
  const base = { BULWARK_BOOTSTRAP_TOKEN: TOKEN, BULWARK_LOG_LEVEL: 'info' };
  if (mode === 'embedded') {
    const p = await startProcess('all-in-one', { ...base, BULWARK_DATA_DIR: dir, BULWARK_CORRELATOR: 'on' });
    return { ingest: p.url, api: p.url, stop: () => stop(p) };
  }
  const services = servicesEnv();
  if (!services.OPENSEARCH_URL || !services.REDIS_URL) {
    throw new Error('--mode=redis needs OpenSearch and Redis: run `test/services/up` first (it writes test/.services.env)');
  }
  const tag = Math.random().toString(36).slice(2, 8);
  const scale = {
    ...base,
    BULWARK_STORE: 'opensearch',
    BULWARK_STORE_URL: services.OPENSEARCH_URL,
    BULWARK_STORE_PREFIX: `lat${tag}`,
    BULWARK_REDIS_URL: services.REDIS_URL,
    BULWARK_BUS_PREFIX: `lat${tag}`,
  };
  const procs = await Promise.all(
    (['collector', 'api', 'correlator'] as const).map((name) =>
      startProcess(name, { ...scale, BULWARK_DATA_DIR: join(dir, name) }),
    ),
  );
  const [collector, api] = procs;
  return { ingest: collector!.url, api: api!.url, stop: async () => void (await Promise.all(procs.map(stop))) };
}

let serial = 0;
function auditItem(user: string, exec: boolean): Record<string, unknown> {
  serial++;
  const now = new Date();
  const id = `9b1e${String(serial).padStart(4, '0')}-0000-4000-8000-${String(Date.now() % 1e12).padStart(12, '0')}`;
  return {
    level: 'Metadata',
    auditID: id,
    stage: 'ResponseComplete',
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['10.1.2.3'],
    requestReceivedTimestamp: now.toISOString(),
    stageTimestamp: now.toISOString(),
    ...(exec
      ? {
          requestURI: '/api/v1/namespaces/apps/pods/web-0/exec?command=sh',
          verb: 'create',
          objectRef: { resource: 'pods', subresource: 'exec', namespace: 'apps', name: 'web-0', apiVersion: 'v1' },
          responseStatus: { code: 101 },
        }
      : {
          requestURI: '/api/v1/namespaces/apps/configmaps/settings',
          verb: 'get',
          objectRef: { resource: 'configmaps', namespace: 'apps', name: 'settings', apiVersion: 'v1' },
          responseStatus: { code: 200 },
        }),
  };
}

function eventList(items: unknown[]): Buffer {
  return Buffer.from(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items }));
}

async function post(url: string, body: Buffer): Promise<void> {
  const res = await fetch(`${url}/v1/ingest/k8s-audit`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body,
  });
  if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

export async function measureAlertLatency(mode: LatencyMode, probes = 200, backgroundPerSecond = 500, stormPerSecond = 0): Promise<LatencyResult> {
  const rule = loadRuleDir(BUNDLED_RULES_DIR).rules.find((r) => r.id === EXEC_RULE);
  if (!rule) throw new Error(`bundled rule ${EXEC_RULE} (pod exec) not found`);
  const dir = mkdtempSync(join(tmpdir(), 'bwk-latency-'));
  const d = await deploy(mode, dir);
  let running = true;
  // Background: 10 requests/s of ordinary reads (they fire no alert), so the correlator and stores are busy.
  const perRequest = Math.max(1, Math.round(backgroundPerSecond / 10));
  const stormPerRequest = Math.round(stormPerSecond / 10);
  let stormed = 0;
  const stormStarted = performance.now();
  let stormEnded = stormStarted;
  const background = (async () => {
    while (running) {
      const started = Date.now();
      const ordinary = Array.from({ length: perRequest }, (_, i) => auditItem(`reader-${i % 50}@example.com`, false));
      const storm = Array.from({ length: stormPerRequest }, () => auditItem(`storm-${stormed++}@example.com`, true));
      await post(d.ingest, eventList([...ordinary, ...storm]));
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
    }
  })();
  const latencies: number[] = [];
  try {
    for (let i = 0; i < probes + 10; i++) {
      const body = eventList([auditItem(`probe-${i}-${serial}@example.com`, true)]);
      const [event] = decodeK8sAudit(body).events;
      const doc = JSON.parse(JSON.stringify(event)) as { event: { id: string }; '@timestamp': string };
      const alertId = alertForRule(rule, doc, doc.event.id, Date.parse(doc['@timestamp'])).id;
      await post(d.ingest, body);
      const acked = performance.now();
      for (;;) {
        const res = await fetch(`${d.api}/v1/alerts/${alertId}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        await res.arrayBuffer();
        if (res.status === 200) break;
        if (performance.now() - acked > 30_000) {
          const recent = await (await fetch(`${d.api}/v1/alerts?size=3`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
          throw new Error(`alert ${alertId} (event ${doc.event.id}) not visible after 30 s; latest alerts: ${recent.slice(0, 1500)}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      // The first ten warm up the processes (JIT, connections) and are not counted.
      if (i >= 10) latencies.push(performance.now() - acked);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    running = false;
    stormEnded = performance.now();
    await background.catch(() => {});
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  latencies.sort((a, b) => a - b);
  return {
    mode,
    probes,
    backgroundEventsPerSecond: perRequest * 10,
    // As achieved: a storm the collector cannot take at the asked rate is reported at the rate it took.
    stormAlertsPerSecond: stormPerRequest ? Math.round(stormed / ((stormEnded - stormStarted) / 1000)) : 0,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1]!,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = benchArgs();
  const modes = (args.get('mode') ?? 'embedded,redis').split(',') as LatencyMode[];
  for (const mode of modes) {
    const r = await measureAlertLatency(mode, Number(args.get('probes') ?? 200), Number(args.get('background') ?? 500), Number(args.get('storm') ?? 0));
    console.log(
      `${r.mode}: ack → alert visible over ${r.probes} probes with ${r.backgroundEventsPerSecond} background events/s` +
        `${r.stormAlertsPerSecond ? ` and a storm of ${r.stormAlertsPerSecond} alerting events/s` : ''}: ` +
        `p50 ${r.p50.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.max.toFixed(1)} ms`,
    );
  }
}
