/**
 * The questions `npm run bench:peers` asks each store after a load, as a user of each would ask them over HTTP: a
 * needle by field and as free text, a field filter and a word (newest 100 each), a per-minute histogram of every
 * event and the top values of a field. Each store module turns a probe into its own request; this module times
 * them alike and checks that both stores gave the same answer, so the timings compare like with like.
 */
import { median } from './lib.js';
import { timedGet } from './peers-http.js';

export const PROBES = ['needleField', 'needleText', 'filter', 'word', 'histogram', 'top'] as const;
export type ProbeKind = (typeof PROBES)[number];

/** The audit fields the probes use, as sent (VictoriaLogs flattens them as is; Bulwark keeps them under `kubernetes.audit`). */
export const AUDIT_FIELDS = { id: 'auditID', filter: 'verb', top: 'verb' } as const;

/** What the probes ask about one load: values taken from the load itself, the time range it covers. */
export interface ProbePlan {
  /** Minute-aligned bounds around the measured load's events (inclusive, exclusive): every probe's range. */
  from: Date;
  to: Date;
  /** An auditID of one event in the middle of the load. */
  auditId: string;
  /** The value of `verb` the field filter asks for. */
  filterValue: string;
  /** A word in the messages of some of the load's events. */
  word: string;
  stepMs: number;
  pageSize: number;
  topSize: number;
}

export type Answer =
  | { type: 'hits'; times: number[]; auditIds: string[] }
  | { type: 'buckets'; total: number; counts: Map<number, number> }
  | { type: 'top'; values: Array<[string, number]>; counted: string };

export interface QueryRequest {
  url: string;
  headers?: Record<string, string>;
  read(text: string): Answer;
}

export interface QueryableStore {
  readonly name: string;
  request(kind: ProbeKind, plan: ProbePlan): QueryRequest;
  /** How many events in the plan's range match a probe's filter (or all of them); untimed, to check the answers. */
  countMatching(kind: 'filter' | 'word' | 'all', plan: ProbePlan): Promise<number>;
}

/** A store under test: where the load goes, with which headers, and how it stops (gracefully, flushing what it buffers). */
export interface PeerStore extends QueryableStore {
  bulkUrl: string;
  bulkHeaders: Record<string, string>;
  /** Makes what was acknowledged searchable, where the store acknowledges earlier than that. */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface ProbeRun {
  ms: Record<ProbeKind, number[]>;
  answers: Record<ProbeKind, Answer>;
  matching: { filter: number; word: number };
}

/** The table's row names for the probes of a plan. */
export function probeLabels(plan: ProbePlan): Record<ProbeKind, string> {
  return {
    needleField: 'needle by field (one auditID)',
    needleText: 'needle as free text (the same auditID)',
    filter: `field filter ${AUDIT_FIELDS.filter}=${plan.filterValue}, newest ${plan.pageSize}`,
    word: `word \`${plan.word}\`, newest ${plan.pageSize}`,
    histogram: `per-minute histogram of all events`,
    top: `top values of ${AUDIT_FIELDS.top}`,
  };
}

/**
 * Where the two query languages mean different things, said under the table. `prefix` is where Bulwark keeps the
 * audit event's own fields (`kubernetes.audit.` when mapped natively, else nothing: stored as sent).
 */
export function semantics(prefix: string): Record<ProbeKind, string> {
  const message = prefix
    ? 'for an audit event its summary line, which names the namespace'
    : 'an audit line sent with the bench token is stored as an ordinary document as sent, without one, so there only a field equal to the word matches';
  return {
    needleField: `VictoriaLogs \`auditID:="…"\` (exact value); Bulwark \`${prefix}auditID:"…"\` (exact value).`,
    needleText:
      'VictoriaLogs `*:"…"`: the phrase in any field. Bulwark `"…"` unfielded: the phrase in `message`, or any field equal to the text (`default_field: *`); a store that searches `message` only finds nothing.',
    filter: `VictoriaLogs \`verb:=…\` with \`limit=100\` (the newest 100); Bulwark \`${prefix}verb:…\` with \`size=100\` (newest first).`,
    word: `VictoriaLogs: a word of \`_msg\` (case-sensitive): a container line's \`log\`, else the audit event's \`requestURI\`. Bulwark: a word of \`message\` (any case; ${message}) or a field equal to the word.`,
    histogram: 'VictoriaLogs `/select/logsql/hits?step=60s`; Bulwark `/v1/histogram?interval=60000`; both epoch-aligned minutes over the same range.',
    top: `VictoriaLogs \`* | top 10 by (verb)\` over every event (the group of events without the field left out); Bulwark \`/v1/fields/top?field=${prefix}verb\`.`,
  };
}

/** Each probe once untimed (connections, caches), then `runs` timed runs in turn. */
export async function runProbes(store: QueryableStore, plan: ProbePlan, runs: number): Promise<ProbeRun> {
  const ms = Object.fromEntries(PROBES.map((k) => [k, [] as number[]])) as Record<ProbeKind, number[]>;
  const answers = {} as Record<ProbeKind, Answer>;
  for (const kind of PROBES) {
    const req = store.request(kind, plan);
    answers[kind] = req.read((await timedGet(req.url, req.headers)).text);
    for (let i = 0; i < runs; i++) ms[kind].push((await timedGet(req.url, req.headers)).ms);
  }
  return { ms, answers, matching: { filter: await store.countMatching('filter', plan), word: await store.countMatching('word', plan) } };
}

const fmt = (n: number) => n.toLocaleString('en-US');
const sorted = <T extends string | number>(xs: readonly T[]) => [...xs].sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));

/** 'same' when both stores answered a probe alike, else what differs (with the counts each side gave). */
export function compareAnswers(a: ProbeRun, b: ProbeRun, names: [string, string]): Record<ProbeKind, string> {
  const out = {} as Record<ProbeKind, string>;
  for (const kind of PROBES) {
    const x = a.answers[kind];
    const y = b.answers[kind];
    const diffs: string[] = [];
    if (x.type === 'hits' && y.type === 'hits') {
      if (x.times.length === 0 && y.times.length === 0) diffs.push('no hits on either side: the probe asks for nothing the load holds');
      else if (x.times.length !== y.times.length) diffs.push(`${names[0]} ${x.times.length} hits, ${names[1]} ${y.times.length}`);
      else if (sorted(x.times).join() !== sorted(y.times).join()) diffs.push('different events (timestamps)');
      else if (sorted(x.auditIds).join() !== sorted(y.auditIds).join()) diffs.push('different events (auditIDs)');
      if (kind === 'filter' || kind === 'word') {
        if (a.matching[kind] !== b.matching[kind]) diffs.push(`matching: ${names[0]} ${fmt(a.matching[kind])}, ${names[1]} ${fmt(b.matching[kind])}`);
      }
    } else if (x.type === 'buckets' && y.type === 'buckets') {
      if (x.total !== y.total) diffs.push(`total ${names[0]} ${fmt(x.total)}, ${names[1]} ${fmt(y.total)}`);
      const keys = new Set([...x.counts.keys(), ...y.counts.keys()]);
      const bad = [...keys].filter((k) => (x.counts.get(k) ?? 0) !== (y.counts.get(k) ?? 0));
      if (bad.length) diffs.push(`${bad.length} buckets differ`);
    } else if (x.type === 'top' && y.type === 'top') {
      const text = (v: Array<[string, number]>) => sorted(v.map(([value, n]) => `${value}=${n}`)).join(', ');
      if (text(x.values) !== text(y.values)) diffs.push(`${names[0]} ${text(x.values)}; ${names[1]} ${text(y.values)} (${names[1]} counted ${y.counted})`);
    } else diffs.push('answers of different kinds');
    out[kind] = diffs.length ? diffs.join('; ') : 'same';
  }
  return out;
}

/** The median of every timed run of a probe across repetitions. */
export function probeMedians(runs: readonly ProbeRun[]): Record<ProbeKind, number> {
  return Object.fromEntries(PROBES.map((k) => [k, median(runs.flatMap((r) => r.ms[k]))])) as Record<ProbeKind, number>;
}

/** A short account of an answer for the log: hits, total or the values. */
export function describe(answer: Answer): string {
  if (answer.type === 'hits') return `${answer.times.length} hits`;
  if (answer.type === 'buckets') return `total ${fmt(answer.total)} in ${answer.counts.size} buckets`;
  return `${answer.values.length} values (counted ${answer.counted})`;
}
