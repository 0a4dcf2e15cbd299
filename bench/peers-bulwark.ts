/**
 * Bulwark for `npm run bench:peers`: the real `npm start` process, started exactly as bench/ingest.ts starts it
 * (the package's start script, embedded store, a fresh data directory, the bench token), with the correlator on as
 * `npm start` runs it or off (`BULWARK_CORRELATOR=false`, `detection.correlator`), and asked the benchmark's
 * questions through its HTTP API as the console asks them (`/v1/search`, `/v1/histogram`, `/v1/fields/top`).
 *
 * The load goes in with the bench token, as in bench:ingest: an admin token has no explicit source grant, so an audit
 * line arriving through `_bulk` is stored as an ordinary log document with its fields at the top, as sent
 * (docs/ARCHITECTURE.md, "Reserved datasets"). With `nativeAudit` it goes in with a shipper token granted the
 * `k8s-audit` source, as an audit log shipper is set up: audit lines are then mapped natively (ECS fields, a summary
 * `message`, the event under `kubernetes.audit`) and the correlator's rules see them.
 */
import type { ChildProcess } from 'node:child_process';
import { startNpmStart } from './npm-start.js';
import { stopChild, timedGet } from './peers-http.js';
import { AUDIT_FIELDS, type Answer, type ProbeKind, type ProbePlan, type PeerStore, type QueryRequest } from './peers-queries.js';

export const BENCH_TOKEN = 'bench-admin-token-0123456789abcdef';
const auth = { authorization: `Bearer ${BENCH_TOKEN}` };
/** Where an audit event's own fields are: under `kubernetes.audit` when mapped natively (packages/ingest/src/k8s-audit.ts). */
export const auditPrefix = (nativeAudit: boolean) => (nativeAudit ? 'kubernetes.audit.' : '');

export interface Bulwark extends PeerStore {
  url: string;
  child: ChildProcess;
}

/** Starts the service as `npm start` does (its script from package.json) on a free port. */
export async function startBulwark(dataDir: string, correlator: boolean, nativeAudit: boolean): Promise<Bulwark> {
  const { url, child } = await startNpmStart(dataDir, BENCH_TOKEN, { BULWARK_CORRELATOR: String(correlator) });
  let bulkHeaders: Record<string, string>;
  try {
    bulkHeaders = nativeAudit ? await shipperToken(url) : auth;
  } catch (e) {
    await stopChild(child);
    throw e;
  }
  const field = (name: string) => `${auditPrefix(nativeAudit)}${name}`;
  return {
    name: correlator ? 'Bulwark (correlator on)' : 'Bulwark (correlator off)',
    url,
    bulkUrl: `${url}/_bulk`,
    bulkHeaders,
    child,
    flush: async () => {}, // an event is acknowledged once durable and searchable
    stop: () => stopChild(child),
    request: (kind, plan) => request(url, field, kind, plan),
    async countMatching(kind, plan) {
      const q = kind === 'all' ? '' : queryOf(field, kind, plan);
      // One bucket spanning the range (two if `from` is not aligned to it): the total is what the filter matches.
      const interval = plan.to.getTime() - plan.from.getTime();
      const body = JSON.parse((await timedGet(api(url, '/v1/histogram', plan, { q, interval: String(interval) }), auth)).text) as { total: number };
      return body.total;
    },
  };
}

/** An ingest token granted the `logs` and `k8s-audit` sources, minted with the bench token through the API. */
async function shipperToken(url: string): Promise<Record<string, string>> {
  const res = await fetch(`${url}/v1/tokens`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench-audit-shipper', scopes: ['ingest'], sources: ['logs', 'k8s-audit'] }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 201 || !body.token) throw new Error(`minting the shipper token failed: ${res.status} ${JSON.stringify(body)}`);
  return { authorization: `Bearer ${body.token}` };
}

function api(url: string, path: string, plan: ProbePlan, params: Record<string, string>): string {
  return `${url}${path}?${new URLSearchParams({ ...params, from: plan.from.toISOString(), to: plan.to.toISOString() })}`;
}

/** The search language (packages/store/SEARCH.md) for a probe's filter. */
function queryOf(field: (name: string) => string, kind: 'filter' | 'word' | 'needleField' | 'needleText', plan: ProbePlan): string {
  const quoted = (s: string) => JSON.stringify(s);
  switch (kind) {
    case 'needleField':
      return `${field(AUDIT_FIELDS.id)}:${quoted(plan.auditId)}`;
    case 'needleText':
      return quoted(plan.auditId);
    case 'filter':
      return `${field(AUDIT_FIELDS.filter)}:${quoted(plan.filterValue)}`;
    case 'word':
      return plan.word;
  }
}

type Hit = Record<string, unknown> & { '@timestamp': string };

/** The value at a dotted path of a hit (the audit prefix, then the field's own name). */
function at(hit: Hit, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), hit);
}

/** `/v1/fields/top` answers `values` (today, from the newest `sampled` events; `complete` when that was all of them). */
interface TopBody {
  values?: Array<{ value: unknown; count: number }>;
  fields?: Array<{ values: Array<{ value: unknown; count: number }> }>;
  sampled?: number;
  complete?: boolean;
  total?: number;
}

function request(url: string, field: (name: string) => string, kind: ProbeKind, plan: ProbePlan): QueryRequest {
  switch (kind) {
    case 'histogram':
      return {
        url: api(url, '/v1/histogram', plan, { q: '', interval: `${plan.stepMs}` }),
        headers: auth,
        read(text): Answer {
          const body = JSON.parse(text) as { total: number; buckets: Array<{ key: string; count: number }> };
          const counts = new Map(body.buckets.filter((b) => b.count > 0).map((b) => [Date.parse(b.key), b.count] as const));
          return { type: 'buckets', total: body.total, counts };
        },
      };
    case 'top':
      return {
        url: api(url, '/v1/fields/top', plan, { q: '', field: field(AUDIT_FIELDS.top), size: String(plan.topSize) }),
        headers: auth,
        read(text): Answer {
          const body = JSON.parse(text) as TopBody;
          // Either shape: `values` of the route today, or one `fields` entry of the store's own top values.
          const values = body.values ?? body.fields?.[0]?.values ?? [];
          const counted =
            body.complete === false ? `the newest ${(body.sampled ?? 0).toLocaleString('en-US')} matching events only` : 'all matching events';
          return { type: 'top', values: values.map((v) => [String(v.value), v.count]), counted };
        },
      };
    default:
      return {
        url: api(url, '/v1/search', plan, { q: queryOf(field, kind, plan), size: String(plan.pageSize) }),
        headers: auth,
        read(text): Answer {
          const hits = (JSON.parse(text) as { hits: Hit[] }).hits;
          return {
            type: 'hits',
            times: hits.map((h) => Date.parse(h['@timestamp'])),
            auditIds: hits.map((h) => at(h, field(AUDIT_FIELDS.id))).filter((id): id is string => typeof id === 'string'),
          };
        },
      };
  }
}
