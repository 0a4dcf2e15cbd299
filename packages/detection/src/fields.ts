/**
 * Field resolution: how a Sigma field name finds values in a Bulwark event.
 *
 * Sigma rules name fields as the log source writes them (rules spec v2, "Field Usage" rule 2: "use them as they
 * appear in the log source"). Bulwark events are nested ECS objects, so a field name is a dotted path. Two twists:
 *
 * - Kubernetes audit rules use native audit names (`verb`, `objectRef.resource`, `user.username`). The collector
 *   keeps the native audit event whole under `kubernetes.audit`, so on audit events (`event.dataset` is
 *   `kubernetes.audit`) a name is looked up under `kubernetes.audit.*` first, then as an ECS path.
 * - Keys may themselves contain dots (audit `annotations` such as `authorization.k8s.io/decision`, Falco's flat
 *   `output_fields` such as `proc.cmdline`), so at every level the longest key that matches wins.
 *
 * Arrays fan out: a value inside an array is one of the field's values, and a rule matches when any value does.
 */

/** The dataset whose events carry a native Kubernetes audit event under `kubernetes.audit`. */
export const AUDIT_DATASET = 'kubernetes.audit';

/** What a field holds in one event: whether it is present at all, and its scalar values (arrays flattened). */
export interface FieldValues {
  found: boolean;
  values: unknown[];
}

export type FieldResolver = (event: unknown) => FieldValues;

const NOT_FOUND: FieldValues = Object.freeze({ found: false, values: [] }) as FieldValues;

/** Field names compiled while `collectFieldNames` runs. */
let collecting: Set<string> | undefined;

/**
 * Runs `compile`, noting every field name compiled meanwhile: every read of an event by a compiled rule goes through a
 * resolver (`compileFieldPath`), so these are all the fields its rules can ever read — keyword lists (`message`) and
 * `fieldref` targets included.
 */
export function collectFieldNames<T>(compile: () => T): { value: T; names: Set<string> } {
  const outer = collecting;
  const names = new Set<string>();
  collecting = names;
  try {
    return { value: compile(), names };
  } finally {
    collecting = outer;
    if (outer) for (const name of names) outer.add(name);
  }
}

/** Compiles a field name once, at rule load, into a resolver (no per-event string splitting). */
export function compileFieldPath(name: string): FieldResolver {
  collecting?.add(name);
  const segments = name.split('.');
  const ecs = candidateKeys(segments);
  const audit = candidateKeys(['kubernetes', 'audit', ...segments]);
  const resolve = (event: unknown): FieldValues => {
    if (isAuditEvent(event)) {
      const native = lookup(event, audit);
      if (native.found) return native;
    }
    return lookup(event, ecs);
  };
  return (event) => {
    if (memo === undefined || event !== memoEvent) return resolve(event);
    let found = memo.get(name);
    if (found === undefined) memo.set(name, (found = resolve(event)));
    return found;
  };
}

/**
 * Field values resolved for the event in hand, by field name: the rules of an index bucket mostly read the same
 * few fields (`verb`, `objectRef.resource`, `user.username`), and a walk costs far more than a map lookup. Scoped
 * to one `withFieldMemo` call, so an event changed between two calls is never answered from a stale memo.
 */
let memo: Map<string, FieldValues> | undefined;
let memoEvent: unknown;

/** Runs `fn` with field resolution memoised for `event` (resolved values are shared: callers never mutate them). */
export function withFieldMemo<T>(event: unknown, fn: () => T): T {
  const [outerMemo, outerEvent] = [memo, memoEvent];
  memo = new Map();
  memoEvent = event;
  try {
    return fn();
  } finally {
    memo = outerMemo;
    memoEvent = outerEvent;
  }
}

/**
 * For each position, the keys to try there, longest first, with the position after each: built once per field so
 * the per-event walk only does property lookups.
 */
type CandidateKeys = { key: string; next: number }[][];

function candidateKeys(segments: string[]): CandidateKeys {
  return segments.map((_, from) => {
    const out: { key: string; next: number }[] = [];
    for (let end = segments.length; end > from; end--) out.push({ key: segments.slice(from, end).join('.'), next: end });
    return out;
  });
}

export function isAuditEvent(event: unknown): boolean {
  const meta = (event as { event?: { dataset?: unknown } } | null)?.event;
  return meta?.dataset === AUDIT_DATASET;
}

/** The dataset of an event, or undefined for a record that is not a Bulwark event. */
export function datasetOf(event: unknown): string | undefined {
  const dataset = (event as { event?: { dataset?: unknown } } | null)?.event?.dataset;
  return typeof dataset === 'string' ? dataset : undefined;
}

function lookup(root: unknown, keys: CandidateKeys): FieldValues {
  const out: unknown[] = [];
  const found = walk(root, keys, 0, out);
  return found ? { found, values: out } : NOT_FOUND;
}

/** Depth-first walk; at each object tries the longest dotted key first (`a.b.c`, then `a.b`, then `a`). */
function walk(node: unknown, keys: CandidateKeys, from: number, out: unknown[]): boolean {
  if (from === keys.length) {
    flatten(node, out);
    return true;
  }
  if (Array.isArray(node)) {
    let any = false;
    for (const element of node) any = walk(element, keys, from, out) || any;
    return any;
  }
  if (node === null || typeof node !== 'object') return false;
  const record = node as Record<string, unknown>;
  for (const { key, next } of keys[from]!) {
    const child = record[key]; // JSON never holds undefined; hasOwn keeps `constructor` & co. out
    if (child !== undefined && Object.hasOwn(record, key) && walk(child, keys, next, out)) return true;
  }
  return false;
}

function flatten(value: unknown, out: unknown[]): void {
  if (Array.isArray(value)) for (const element of value) flatten(element, out);
  else out.push(value);
}
