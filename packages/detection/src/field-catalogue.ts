/**
 * What fields the events of a dataset can carry, for the field-coverage lint (`field-lint.ts`). A catalogue is built
 * from three places: the native schemas below (the Kubernetes audit Event as the API server writes it, with the
 * types and value domains Kubernetes defines), the paths the decoders produce (`@bulwark/ingest`'s
 * `decodedFieldPaths`, run on representative records), and — when a store is given — fields seen in stored history.
 * A path under an open object (an audit event's `requestObject`, a map of labels or annotations, Falco's output fields)
 * can be anything, so a rule field there is never reported.
 */

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'object';

export interface FieldInfo {
  types: Set<FieldType>;
  /** The values Kubernetes (or the source) can put there, when it is a closed set; compared case-insensitively. */
  domain?: readonly string[];
}

export interface DatasetFields {
  /** Dotted path → what it holds. Array elements are the array's own path (Sigma fans arrays out). */
  paths: Map<string, FieldInfo>;
  /** Paths whose subtree is open: any child may exist. */
  open: Set<string>;
}

export type FieldCatalogue = Map<string, DatasetFields>;

export function emptyDataset(): DatasetFields {
  return { paths: new Map(), open: new Set() };
}

/** Adds `path` (and its parent objects) with a type. */
export function addField(fields: DatasetFields, path: string, type: FieldType, domain?: readonly string[]): void {
  const segments = path.split('.');
  for (let i = 1; i < segments.length; i++) {
    const parent = segments.slice(0, i).join('.');
    if (!fields.paths.has(parent)) fields.paths.set(parent, { types: new Set(['object']) });
  }
  const info = fields.paths.get(path) ?? { types: new Set<FieldType>() };
  info.types.add(type);
  if (domain) info.domain = domain;
  fields.paths.set(path, info);
}

/** Records every leaf of a decoded event (or a stored one): its path and the type of its value. */
export function addObservedEvent(fields: DatasetFields, event: unknown, prefix = '', depth = 0): void {
  if (depth > 32 || event === null || event === undefined) return;
  if (Array.isArray(event)) {
    for (const item of event) addObservedEvent(fields, item, prefix, depth + 1);
    return;
  }
  if (typeof event === 'object') {
    if (prefix !== '' && !fields.paths.has(prefix)) addField(fields, prefix, 'object');
    for (const [key, value] of Object.entries(event as Record<string, unknown>)) addObservedEvent(fields, value, prefix === '' ? key : `${prefix}.${key}`, depth + 1);
    return;
  }
  if (prefix === '') return;
  addField(fields, prefix, typeof event === 'string' ? 'string' : typeof event === 'boolean' ? 'boolean' : Number.isInteger(event) ? 'integer' : 'number');
}

/** The audit verbs Kubernetes logs: resource verbs, and lowercase HTTP methods for non-resource URLs. */
export const AUDIT_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'proxy', 'post', 'put', 'head', 'options'] as const;

/**
 * The Kubernetes audit Event (audit.k8s.io/v1), kept whole under `kubernetes.audit`: where audit rules' native names
 * (`verb`, `objectRef.resource`) resolve first (`fields.ts`).
 */
export function auditEventFields(into: DatasetFields = emptyDataset(), prefix = 'kubernetes.audit'): DatasetFields {
  const at = (p: string) => `${prefix}.${p}`;
  const s = (p: string, domain?: readonly string[]) => addField(into, at(p), 'string', domain);
  for (const p of ['kind', 'apiVersion', 'auditID', 'requestURI', 'userAgent', 'requestReceivedTimestamp', 'stageTimestamp']) s(p);
  s('level', ['None', 'Metadata', 'Request', 'RequestResponse']);
  s('stage', ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic']);
  s('verb', AUDIT_VERBS);
  for (const user of ['user', 'impersonatedUser']) {
    for (const p of ['username', 'uid', 'groups']) s(`${user}.${p}`);
    addField(into, at(`${user}.extra`), 'object');
    into.open.add(at(`${user}.extra`));
  }
  s('sourceIPs');
  for (const p of ['resource', 'namespace', 'name', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion', 'subresource']) s(`objectRef.${p}`);
  s('responseStatus.status', ['Success', 'Failure']);
  s('responseStatus.message');
  s('responseStatus.reason');
  addField(into, at('responseStatus.code'), 'integer');
  for (const open of ['responseStatus.metadata', 'responseStatus.details', 'requestObject', 'responseObject', 'annotations']) {
    addField(into, at(open), 'object');
    into.open.add(at(open));
  }
  return into;
}

/** What the decoders make of representative records, per dataset (`@bulwark/ingest` decodedFieldSamples). */
export type FieldSamples = Map<string, { events: readonly unknown[]; open: readonly string[] }>;

/** The catalogue from the decoders' samples and the audit schema; `stored` adds events read from a store. */
export function buildFieldCatalogue(samples: FieldSamples, stored: Iterable<unknown> = []): FieldCatalogue {
  const catalogue: FieldCatalogue = new Map();
  const of = (dataset: string) => {
    let fields = catalogue.get(dataset);
    if (!fields) catalogue.set(dataset, (fields = emptyDataset()));
    return fields;
  };
  for (const [dataset, { events, open }] of samples) {
    const fields = of(dataset);
    for (const event of events) addObservedEvent(fields, event);
    for (const path of open) fields.open.add(path);
  }
  auditEventFields(of('kubernetes.audit'));
  for (const event of stored) {
    const dataset = (event as { event?: { dataset?: unknown } })?.event?.dataset;
    if (typeof dataset === 'string') addObservedEvent(of(dataset), event);
  }
  return catalogue;
}
