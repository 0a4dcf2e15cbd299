/**
 * The explicit mapping of the event model (`packages/schema/src/event.ts`, an ECS subset) for the log data streams,
 * and what the query translator needs to know about it: the kind of every field it maps. One definition serves both,
 * so the translator can never disagree with the template about a field's type.
 *
 * Decisions, and why:
 * - `@timestamp` is `date` (milliseconds), not `date_nanos`: the SQLite store orders and pages on epoch milliseconds
 *   (`SerializedEvent.ts`), sub-millisecond ties are broken by arrival there, and the same must hold here.
 * - `message` is `text` with the `bulwark_words` analyzer (see `layout.ts`), which splits at every character that is
 *   not a letter or digit, lowercases and folds accents: the same words SQLite's FTS5 `unicode61 remove_diacritics 2`
 *   tokenizer finds, so phrases match alike (`10.0.0.1` is four words and does not match `10.0.0.12`). No keyword
 *   sub-field: in our language `message:"x"` is a phrase match, not an exact one, so nothing would query it, and a
 *   second copy of every message is the largest cost in a log index.
 * - every other string is `keyword` (exact, case-sensitive, like the language's `field:value`), including strings a
 *   shipper sends beyond the model (dynamic template); `ignore_above: 8191` keeps values up to 8191 characters
 *   searchable and stops a longer one from exceeding Lucene's 32766-byte term limit and failing the whole document.
 * - numbers the model names are `long`/`integer`; other numbers map to `double`, because a JSON number is a double and
 *   a dynamic `long` would truncate a later `1.5` to `1` in the index (so `x:1` would match it); booleans map to
 *   `keyword` so that `x:true` matches and a later `"yes"` in the same field is not a mapping conflict.
 * - `source.ip`, `destination.ip`, `host.ip` are `ip` (CIDR and ip-range queries, correct ordering in dashboards)
 *   with a `keyword` sub-field that the translator uses for the language's exact/prefix/string-range semantics.
 * - string maps with arbitrary keys (`labels`, `kubernetes.labels`, audit `annotations`, `user.extra`) are one
 *   flat field each (`flat_object` on OpenSearch, `flattened` on Elasticsearch): keys such as
 *   `app.kubernetes.io/name` contain dots, which as object keys would expand into sub-objects and conflict
 *   (`app` a string in one pod, an object in another), and every distinct key would be a new mapped field.
 * - the native audit event's `requestObject`/`responseObject` are whole Kubernetes objects: unbounded keys, depth and
 *   value sizes. On Elasticsearch they are `flattened` with `ignore_above` and a raised `depth_limit`: one field,
 *   every leaf searchable as a keyword (`kubernetes.audit.requestObject.spec.hostNetwork:true`), an oversized leaf
 *   skipped rather than the event refused. OpenSearch's `flat_object` has no `ignore_above` (3.8: a leaf over 32766
 *   bytes, e.g. a large ConfigMap value or `last-applied-configuration`, fails the whole document), so there they are
 *   `enabled: false`: kept in `_source`, returned by get/search, never indexed, never a reason to refuse an event.
 *   Detection rules run on the event stream, not on the store, so they still see every field. The fields rules and
 *   analysts filter on (`verb`, `objectRef.*`, `user.*`, `responseStatus.code`, `annotations`, `sourceIPs`...) are
 *   mapped explicitly.
 * - `bulwark_seq` (long) is the arrival number that breaks ties between equal timestamps (see `log-store.ts`).
 * - `event.original` is stored, not indexed (as in ECS): it repeats the event, possibly at length.
 * - `bulwark.provenance.*` (written by the collector; docs/ARCHITECTURE.md, "Provenance") are keywords, so
 *   `bulwark.provenance.source:falco` and `bulwark.provenance.token.name:fluent-bit` are exact filters on every engine.
 *   Under `bulwark.claimed` (what a payload claimed and was not believed), `dataset`/`native` and the identity fields
 *   are keywords (strings, by the dynamic template); `payload` — a payload's own `bulwark` key, any shape — is kept but
 *   not indexed, so no sender can cause a mapping conflict there.
 */
import type { EngineDialect } from './engine.js';

/** The name of the arrival-order field, added to each document at append and removed again when reading. */
export const SEQ_FIELD = 'bulwark_seq';

/** Largest keyword value indexed (characters); 8191 × 4 UTF-8 bytes stays under Lucene's 32766-byte term limit. */
export const KEYWORD_IGNORE_ABOVE = 8191;

type Mapping = Record<string, unknown>;

const keyword: Mapping = { type: 'keyword', ignore_above: KEYWORD_IGNORE_ABOVE };
const long: Mapping = { type: 'long' };
const integer: Mapping = { type: 'integer' };
const ip: Mapping = { type: 'ip', ignore_malformed: true, fields: { keyword: { type: 'keyword', ignore_above: 1024 } } };
const storedOnly: Mapping = { type: 'keyword', index: false, doc_values: false };

function object(properties: Record<string, Mapping>): Mapping {
  return { properties };
}

function keywords(...names: string[]): Record<string, Mapping> {
  return Object.fromEntries(names.map((name) => [name, keyword]));
}

/** A string map with arbitrary (dotted) keys: one field, every value a keyword. */
function flat(dialect: EngineDialect): Mapping {
  if (dialect.flatType === 'flattened') return { type: 'flattened', ignore_above: KEYWORD_IGNORE_ABOVE };
  if (dialect.flatType === 'flat_object') return { type: 'flat_object' };
  return { type: 'object', enabled: false };
}

/** A whole Kubernetes object (audit request/response): see the file comment for the per-engine choice. */
function unboundedObject(dialect: EngineDialect): Mapping {
  if (dialect.flatType === 'flattened') return { type: 'flattened', ignore_above: KEYWORD_IGNORE_ABOVE, depth_limit: 64 };
  return { type: 'object', enabled: false };
}

function auditUser(dialect: EngineDialect): Mapping {
  return object({ ...keywords('username', 'uid', 'groups'), extra: flat(dialect) });
}

/** `kubernetes.audit`: the native `audit.k8s.io/v1` Event. */
function auditMapping(dialect: EngineDialect): Mapping {
  return object({
    ...keywords('kind', 'apiVersion', 'level', 'auditID', 'stage', 'requestURI', 'verb', 'sourceIPs', 'userAgent'),
    ...keywords('requestReceivedTimestamp', 'stageTimestamp'),
    user: auditUser(dialect),
    impersonatedUser: auditUser(dialect),
    objectRef: object(keywords('resource', 'namespace', 'name', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion', 'subresource')),
    responseStatus: object({ code: integer, ...keywords('status', 'reason', 'message') }),
    annotations: flat(dialect),
    requestObject: unboundedObject(dialect),
    responseObject: unboundedObject(dialect),
  });
}

/** The `mappings` section of the log data streams' index template. */
export function eventMappings(dialect: EngineDialect): Mapping {
  return {
    dynamic: true,
    date_detection: false,
    numeric_detection: false,
    dynamic_templates: [
      { strings_as_keyword: { match_mapping_type: 'string', mapping: keyword } },
      { booleans_as_keyword: { match_mapping_type: 'boolean', mapping: { type: 'keyword' } } },
      { integers_as_double: { match_mapping_type: 'long', mapping: { type: 'double' } } },
      { floats_as_double: { match_mapping_type: 'double', mapping: { type: 'double' } } },
    ],
    properties: {
      '@timestamp': { type: 'date' },
      [SEQ_FIELD]: long,
      message: { type: 'text', analyzer: 'bulwark_words' },
      tags: keyword,
      labels: flat(dialect),
      event: object({
        ...keywords('id', 'kind', 'category', 'type', 'action', 'outcome', 'dataset', 'module', 'ingested'),
        severity: integer,
        original: storedOnly,
      }),
      host: object({ ...keywords('name', 'hostname'), ip }),
      container: object({ ...keywords('id', 'name', 'runtime'), image: object(keywords('name')) }),
      orchestrator: object({
        ...keywords('type', 'namespace'),
        cluster: object(keywords('name')),
        resource: object(keywords('type', 'name')),
      }),
      kubernetes: object({
        ...keywords('namespace'),
        pod: object(keywords('name', 'uid')),
        container: object(keywords('name')),
        node: object(keywords('name')),
        labels: flat(dialect),
        audit: auditMapping(dialect),
      }),
      user: object(keywords('name', 'id', 'roles')),
      source: object({ ip, port: long }),
      destination: object({ ip, port: long }),
      process: object({ pid: long, ...keywords('name', 'executable', 'command_line', 'args') }),
      log: object(keywords('level')),
      http: object({ request: object(keywords('method')), response: object({ status_code: long }) }),
      rule: object(keywords('name', 'id', 'description')),
      data_stream: object(keywords('type', 'dataset', 'namespace')),
      bulwark: object({
        provenance: object({ ...keywords('route', 'protocol', 'source', 'token_sources'), token: object(keywords('id', 'name', 'credential')) }),
        claimed: object({ ...keywords('dataset', 'native'), payload: { type: 'object', enabled: false } }),
      }),
    },
  };
}

/**
 * What the translator needs to know about a field. `flat-root` is a flat field itself (a map: never equal to a value),
 * `flat-leaf` a key inside one (a keyword), `disabled` a path inside an object that is kept but not indexed.
 */
export type FieldKind =
  | 'keyword'
  | 'text'
  | 'number'
  | 'date'
  | 'boolean'
  | 'ip'
  | 'flat-root'
  | 'flat-leaf'
  | 'object'
  | 'disabled'
  | 'unmapped'
  | 'other';

/** The kinds of the fields the template maps, by dotted path; flat and disabled roots cover everything below them. */
export interface StaticFields {
  kinds: ReadonlyMap<string, FieldKind>;
  /** Paths whose sub-paths are flat leaves or disabled. */
  roots: ReadonlyMap<string, 'flat' | 'disabled'>;
}

/** Walks `eventMappings` once: the single source of truth for the translator's static field kinds. */
export function staticFields(mappings: Mapping): StaticFields {
  const kinds = new Map<string, FieldKind>();
  const roots = new Map<string, 'flat' | 'disabled'>();
  const walk = (properties: Record<string, Mapping>, prefix: string) => {
    for (const [name, mapping] of Object.entries(properties)) {
      const path = prefix + name;
      const type = mapping.type as string | undefined;
      if (type === 'flattened' || type === 'flat_object') {
        kinds.set(path, 'flat-root');
        roots.set(path, 'flat');
      } else if (mapping.enabled === false) {
        kinds.set(path, 'disabled');
        roots.set(path, 'disabled');
      } else if (mapping.properties) {
        kinds.set(path, 'object');
        walk(mapping.properties as Record<string, Mapping>, `${path}.`);
      } else if (mapping.index === false) {
        kinds.set(path, 'disabled');
      } else {
        kinds.set(path, kindOfType(type ?? 'object'));
      }
    }
  };
  walk(mappings.properties as Record<string, Mapping>, '');
  return { kinds, roots };
}

/** The translator's kind for an engine field type (as `_field_caps` reports it). */
export function kindOfType(type: string): FieldKind {
  switch (type) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
    case 'version':
      return 'keyword';
    case 'text':
    case 'match_only_text':
      return 'text';
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
    case 'double':
    case 'float':
    case 'half_float':
    case 'scaled_float':
    case 'unsigned_long':
      return 'number';
    case 'date':
    case 'date_nanos':
      return 'date';
    case 'boolean':
      return 'boolean';
    case 'ip':
      return 'ip';
    case 'object':
    case 'nested':
      return 'object';
    case 'flattened':
    case 'flat_object':
      return 'flat-root';
    default:
      return 'other';
  }
}
