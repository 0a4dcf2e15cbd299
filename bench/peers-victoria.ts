/**
 * VictoriaLogs for `npm run bench:peers`: built once from the Go module proxy with the Go on this machine and cached
 * beside the test services' downloads (test/.cache, gitignored), started on a fresh data directory per repetition,
 * and asked the benchmark's questions in LogsQL over its HTTP API (docs/victorialogs/querying/README.md of the module).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib.js';
import { freePort, stopChild, timedGet, waitUntil } from './peers-http.js';
import { AUDIT_FIELDS, type Answer, type ProbeKind, type ProbePlan, type PeerStore, type QueryRequest } from './peers-queries.js';

export const VICTORIA_LOGS_VERSION = 'v1.52.2';
const MODULE = 'github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs';
const cacheDir = join(root, 'test/.cache/victoria-logs', VICTORIA_LOGS_VERSION);

/** Why there is no binary and how to get one; the caller prints it and skips (the only case bench:peers skips). */
export class GoMissing extends Error {}

/**
 * The cached binary, built first when absent: `GOBIN=<cache> go install <module>@<version>` (the module proxy's
 * source, about a minute on two cores). The binary is installed under a temporary GOBIN and moved into place, so an
 * interrupted build never leaves a half-written binary that a later run would take for a good one.
 */
export function victoriaLogsBinary(): { path: string; settings: string } {
  const binary = join(cacheDir, 'victoria-logs');
  if (!existsSync(binary)) {
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.error || go.status !== 0) {
      throw new GoMissing(
        `Go is missing (\`go version\` did not run): bench:peers builds VictoriaLogs ${VICTORIA_LOGS_VERSION} with ` +
          `\`go install ${MODULE}@${VICTORIA_LOGS_VERSION}\`, which needs Go 1.26.5+ (its go.mod) and the Go module proxy. ` +
          `Install Go from https://go.dev/dl/ (e.g. tar -C /usr/local -xzf go1.26.*.linux-amd64.tar.gz; export PATH=$PATH:/usr/local/go/bin), then rerun.`,
      );
    }
    const staging = join(cacheDir, `.building-${process.pid}`);
    mkdirSync(staging, { recursive: true });
    console.log(`building VictoriaLogs ${VICTORIA_LOGS_VERSION} with ${go.stdout.trim()} (once; cached in ${cacheDir})…`);
    const t0 = performance.now();
    const install = spawnSync('go', ['install', `${MODULE}@${VICTORIA_LOGS_VERSION}`], {
      env: { ...process.env, GOBIN: staging },
      stdio: 'inherit',
    });
    if (install.status !== 0) throw new Error(`go install ${MODULE}@${VICTORIA_LOGS_VERSION} failed (exit ${install.status}); see above`);
    renameSync(join(staging, 'victoria-logs'), binary);
    rmSync(staging, { recursive: true, force: true });
    console.log(`built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  // The build settings say what was measured: with cgo, the C zstd library (as VictoriaLogs' own linux/amd64 release
  // build, app/victoria-logs/Makefile); without, a pure-Go one.
  const info = spawnSync('go', ['version', '-m', binary], { encoding: 'utf8' });
  const settings = info.status === 0 ? (/CGO_ENABLED=\d/.exec(info.stdout)?.[0] ?? '') : '';
  return { path: binary, settings };
}

/**
 * The `_bulk` query string a VictoriaLogs user writes for this traffic (data-ingestion/README.md, "HTTP parameters"):
 * the time from `@timestamp`; the message from a container line's `log`, else (an audit event has no message) its
 * `requestURI`; a container's identity as the stream, so each pod's lines form their own stream and the audit log
 * (none of those fields) is one stream, as one API server's audit file is.
 */
export const VL_BULK_PARAMS = new URLSearchParams({
  _time_field: '@timestamp',
  _msg_field: 'log,requestURI',
  _stream_fields: 'kubernetes.namespace_name,kubernetes.pod_name,kubernetes.container_name,stream',
}).toString();

export interface VictoriaLogs extends PeerStore {
  url: string;
  child: ChildProcess;
}

export async function startVictoriaLogs(binary: string, dataDir: string, logFile: string): Promise<VictoriaLogs> {
  const port = await freePort();
  const log = openSync(logFile, 'a');
  const child = spawn(
    binary,
    [
      `-storageDataPath=${dataDir}`,
      `-httpListenAddr=127.0.0.1:${port}`,
      // The generated events are dated 2026-11-29: keep them (the default retention of 7 days would reject them).
      '-retentionPeriod=100y',
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log); // the child has its own copy
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`victoria-logs exited with ${code}; see ${logFile}`))));
  exited.catch(() => {}); // only raced against readiness below
  try {
    await Promise.race([waitUntil('victoria-logs /health', async () => (await fetch(`${url}/health`)).status === 200), exited]);
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  return {
    name: 'VictoriaLogs',
    url,
    child,
    bulkUrl: `${url}/insert/elasticsearch/_bulk?${VL_BULK_PARAMS}`,
    bulkHeaders: {},
    // `/internal/force_flush`: what was acknowledged becomes searchable (it reaches disk later, or at shutdown).
    async flush() {
      await timedGet(`${url}/internal/force_flush`);
    },
    stop: () => stopChild(child),
    request: (kind, plan) => request(url, kind, plan),
    async countMatching(kind, plan) {
      const filter = kind === 'all' ? '*' : filterOf(kind, plan);
      const line = jsonLines((await timedGet(select(url, 'query', plan, { query: `${filter} | stats count() as n` }))).text)[0];
      return Number(line?.n ?? NaN);
    },
  };
}

const range = (plan: ProbePlan) => ({ start: plan.from.toISOString(), end: plan.to.toISOString() });

function select(url: string, endpoint: string, plan: ProbePlan, params: Record<string, string>): string {
  return `${url}/select/logsql/${endpoint}?${new URLSearchParams({ ...params, ...range(plan) })}`;
}

/** LogsQL for a probe's filter: exact match for field values (Bulwark's `field:value`), phrase across fields for text. */
function filterOf(kind: 'filter' | 'word' | 'needleField' | 'needleText', plan: ProbePlan): string {
  const quoted = (s: string) => JSON.stringify(s);
  switch (kind) {
    case 'needleField':
      return `${AUDIT_FIELDS.id}:=${quoted(plan.auditId)}`;
    case 'needleText':
      return `*:${quoted(plan.auditId)}`; // a phrase in any field (logsql.md, "Searching over multiple fields")
    case 'filter':
      return `${AUDIT_FIELDS.filter}:=${quoted(plan.filterValue)}`;
    case 'word':
      return plan.word; // a word of `_msg`
  }
}

function jsonLines(text: string): Array<Record<string, string>> {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, string>);
}

function request(url: string, kind: ProbeKind, plan: ProbePlan): QueryRequest {
  switch (kind) {
    case 'histogram':
      return {
        url: select(url, 'hits', plan, { query: '*', step: `${plan.stepMs / 1000}s` }),
        read(text): Answer {
          const body = JSON.parse(text) as { hits: Array<{ timestamps: string[]; values: number[]; total: number }> };
          const counts = new Map<number, number>();
          let total = 0;
          for (const series of body.hits) {
            series.timestamps.forEach((t, i) => counts.set(Date.parse(t), (counts.get(Date.parse(t)) ?? 0) + series.values[i]!));
            total += series.total;
          }
          return { type: 'buckets', total, counts };
        },
      };
    case 'top':
      return {
        url: select(url, 'query', plan, { query: `* | top ${plan.topSize} by (${AUDIT_FIELDS.top})` }),
        read(text): Answer {
          // Events without the field form the group "" (container lines of the mixed load): not a value.
          const values = jsonLines(text)
            .filter((row) => (row[AUDIT_FIELDS.top] ?? '') !== '')
            .map((row) => [row[AUDIT_FIELDS.top]!, Number(row.hits)] as [string, number]);
          return { type: 'top', values, counted: 'all matching events' };
        },
      };
    default:
      return {
        url: select(url, 'query', plan, { query: filterOf(kind, plan), limit: String(plan.pageSize) }),
        read(text): Answer {
          const rows = jsonLines(text);
          return {
            type: 'hits',
            times: rows.map((r) => Date.parse(r._time!)),
            auditIds: rows.map((r) => r[AUDIT_FIELDS.id]).filter((id): id is string => typeof id === 'string'),
          };
        },
      };
  }
}
