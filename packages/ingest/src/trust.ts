/**
 * What a record may not claim about itself (docs/ARCHITECTURE.md, "Reserved datasets" and "Provenance"). A log line is
 * written by whoever runs the
 * workload, so three things in it are never believed:
 *
 * 1. **Reserved datasets.** `kubernetes.audit`, `kubernetes.events`, `falco`/`falco.*`, `bulwark`/`bulwark.*`,
 *    `alertmanager`/`alertmanager.*` and `alerts`/`alerts.*` are produced only by their own sources (the audit
 *    webhook, the collector's own watch of Kubernetes Events, the Falco route — or `_bulk` for a token explicitly granted that source; Bulwark's own datasets by
 *    Bulwark). A document of any other decoder that claims one — through `event.dataset`, `data_stream.dataset`, an
 *    index named `logs-falco.alerts-default`, a Loki `dataset` label — is stored under **`claimed.<dataset>`** (e.g.
 *    `claimed.falco.alerts`; `data_stream.namespace` stays the index's namespace), with the claim at
 *    `bulwark.claimed.dataset` and the tag `_reserved_dataset_claim`. No rule is written for `claimed.*`, so the claim
 *    is searchable for investigation and inert for detection. A document *shaped* like a native audit Event or Falco
 *    alert from a sender not granted that source is a claim too: it is normalised as an ordinary log document, with
 *    `bulwark.claimed.native` (`k8s-audit`/`falco`) and the same tag.
 * 2. **Identity fields** (`IDENTITY_FIELDS`: pod name/uid, namespace, container, node, container id): what the shipper's
 *    metadata says about the emitting pod beats what the record body says. Precedence: the shipper's Kubernetes keys
 *    (Fluent Bit / Vector `kubernetes.pod_name`…) > nested ECS objects (`kubernetes.pod.name`, as Filebeat writes) >
 *    top-level dotted keys (`"kubernetes.pod.name"`, what an application's JSON merged into the record root looks
 *    like). A lower value that disagrees with the winner is kept at `bulwark.claimed.<field>` and the event is tagged
 *    `_identity_conflict`; nothing is merged silently.
 * 3. **Bulwark's own fields.** A payload's top-level `bulwark` key (nested or dotted) is moved to
 *    `bulwark.claimed.payload`; `bulwark.provenance` is written by the collector only (`services/collector`).
 */
import { hasDottedKey, isObject, scalarText, type JsonObject } from './fields.js';
import { splitContainerId } from './shippers.js';

export const RESERVED_CLAIM_TAG = '_reserved_dataset_claim';
export const IDENTITY_CONFLICT_TAG = '_identity_conflict';
/** The prefix a claimed reserved dataset is stored under. */
export const CLAIMED_DATASET_PREFIX = 'claimed.';

/** Native shapes a `_bulk` document can have; mapped natively only for a token granted that source. */
export type NativeShape = 'k8s-audit' | 'falco';

const RESERVED_EXACT = new Set(['kubernetes.audit', 'kubernetes.events']);
const RESERVED_FAMILIES = ['falco', 'bulwark', 'alertmanager', 'alerts'];

/** True for a dataset only its own decoder may produce (compared case-insensitively: no near-miss spelling). */
export function isReservedDataset(dataset: string): boolean {
  const ds = dataset.trim().toLowerCase();
  if (RESERVED_EXACT.has(ds)) return true;
  for (const family of RESERVED_FAMILIES) {
    // `ds === family || ds.startsWith(family + '.')`, without building that string per call.
    if (ds.startsWith(family) && (ds.length === family.length || ds.charCodeAt(family.length) === 46)) return true;
  }
  return false;
}

/** `claimed.<dataset>`: where a document that claimed a reserved dataset is stored. */
export function claimedDataset(dataset: string): string {
  return `${CLAIMED_DATASET_PREFIX}${dataset}`;
}

/** The claims gathered while decoding one record; written to `bulwark.claimed` by `attachClaims`. */
export interface Claims {
  values: JsonObject;
  tags: string[];
}

export function newClaims(): Claims {
  return { values: {}, tags: [] };
}

/** Records that the record claimed a reserved dataset. */
export function claimDataset(claims: Claims, dataset: string): void {
  if (claims.values.dataset === undefined) claims.values.dataset = dataset;
  addTag(claims, RESERVED_CLAIM_TAG);
}

/** Records that the record was shaped like a native audit Event / Falco alert but was not mapped as one. */
export function claimNativeShape(claims: Claims, shape: NativeShape): void {
  claims.values.native = shape;
  addTag(claims, RESERVED_CLAIM_TAG);
}

function addTag(claims: Claims, tag: string): void {
  if (!claims.tags.includes(tag)) claims.tags.push(tag);
}

/** Removes a payload's `bulwark` key from `doc` (after dotted keys were expanded) and keeps it as a claim. */
export function takePayloadBulwark(doc: JsonObject, claims: Claims): void {
  if (!Object.hasOwn(doc, 'bulwark')) return;
  const given = doc.bulwark;
  doc.bulwark = undefined; // dropped when the event is compacted; `delete` would slow the object (see normalize.ts)
  if (given !== undefined && given !== null) claims.values.payload = given;
}

/**
 * Writes the claims to `event.bulwark.claimed` and their tags to `event.tags`; `bulwark` is rebuilt, so nothing a
 * payload put there survives.
 */
export function attachClaims(event: JsonObject, claims: Claims): void {
  if (claims.tags.length === 0 && !hasOwnKey(claims.values)) {
    if (event.bulwark !== undefined) event.bulwark = undefined;
    return;
  }
  event.bulwark = { claimed: claims.values };
  if (claims.tags.length > 0) {
    const tags = Array.isArray(event.tags) ? (event.tags as string[]) : typeof event.tags === 'string' ? [event.tags] : [];
    if (tags.length === 0) event.tags = claims.tags.slice(); // its tags are distinct (`addTag`)
    else {
      const merged = tags.slice();
      for (const tag of claims.tags) if (!tags.includes(tag)) merged.push(tag);
      event.tags = merged;
    }
  }
}

/** Whether the object has an own enumerable key (`Object.keys(obj).length > 0` without building the list). */
function hasOwnKey(obj: JsonObject): boolean {
  for (const key in obj) if (Object.hasOwn(obj, key)) return true;
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Identity fields

/** An identity field, and the shipper keys (under the record's `kubernetes` object) that set it. */
interface IdentityField {
  path: readonly string[];
  shipperKeys: readonly string[];
}

export const IDENTITY_FIELDS: readonly IdentityField[] = [
  { path: ['kubernetes', 'pod', 'name'], shipperKeys: ['pod_name'] },
  { path: ['kubernetes', 'pod', 'uid'], shipperKeys: ['pod_id', 'pod_uid'] },
  { path: ['kubernetes', 'namespace'], shipperKeys: ['namespace_name', 'pod_namespace'] },
  { path: ['kubernetes', 'container', 'name'], shipperKeys: ['container_name'] },
  { path: ['kubernetes', 'node', 'name'], shipperKeys: ['host', 'pod_node_name'] },
  { path: ['container', 'id'], shipperKeys: ['docker_id', 'container_id'] },
  { path: ['container', 'name'], shipperKeys: [] },
  { path: ['orchestrator', 'namespace'], shipperKeys: ['namespace_name', 'pod_namespace'] },
];

const IDENTITY_ROOTS = new Set(IDENTITY_FIELDS.map((f) => f.path[0]!));

/** Index of `kubernetes.namespace` in IDENTITY_FIELDS: `orchestrator.namespace` follows the shipper's namespace. */
const NAMESPACE_FIELD = IDENTITY_FIELDS.findIndex((f) => f.path.join('.') === 'kubernetes.namespace');
const ORCHESTRATOR_NAMESPACE_FIELD = IDENTITY_FIELDS.findIndex((f) => f.path.join('.') === 'orchestrator.namespace');

/**
 * The three layers of identity values found in a record as received, indexed like IDENTITY_FIELDS (plain arrays, not
 * maps: this runs on every `_bulk` document).
 */
export interface IdentityLayers {
  shipper: Array<string | undefined>;
  nested: Array<string | undefined>;
  dotted: Array<string | undefined>;
  /** Top-level dotted keys that named an identity field (removed from the record once decided). */
  dottedKeys: string[];
}

function textAt(value: unknown): string | undefined {
  const text = scalarText(value);
  return text === undefined || text === '' ? undefined : text;
}

/** Walks `path` from `node`; a scalar where an object is expected counts as that object's `name` (as coercion does). */
function walk(node: unknown, path: readonly string[]): string | undefined {
  let cur = node;
  for (let i = 0; i < path.length; i++) {
    if (isObject(cur)) cur = ownField(cur, path[i]!);
    else if (i === path.length - 1 && path[i] === 'name') return textAt(cur);
    else return undefined;
  }
  return isObject(cur) ? undefined : textAt(cur);
}

/**
 * `obj[key]` when the object holds it itself, else undefined. Most keys asked for here are absent, and an absent key
 * reads as undefined straight away, so only a value found pays for the own-property check.
 */
function ownField(obj: JsonObject, key: string): unknown {
  const value = obj[key];
  return value !== undefined && Object.hasOwn(obj, key) ? value : undefined;
}

function shipperValue(k8s: JsonObject, field: IdentityField): string | undefined {
  for (const key of field.shipperKeys) {
    const text = textAt(ownField(k8s, key));
    if (text !== undefined) return field.path[0] === 'container' ? splitContainerId(text).id : text;
  }
  return undefined;
}

/**
 * A layer in which no identity field has a value, shared: the layers are only read (`enforceIdentity`), so a record
 * pays for an array only in a layer that holds something — most documents have values in one layer, if any.
 */
const NO_VALUES = Object.freeze(new Array<string | undefined>(IDENTITY_FIELDS.length)) as Array<string | undefined>;
const NO_KEYS = Object.freeze([]) as unknown as string[];

/** What a record without any identity root (`kubernetes`, `container`, `orchestrator`, dotted or not) holds: nothing. */
const NO_IDENTITY: IdentityLayers = Object.freeze({ shipper: NO_VALUES, nested: NO_VALUES, dotted: NO_VALUES, dottedKeys: NO_KEYS });

/** `layer` (`NO_VALUES` or its own array) with `value` at `f`: the layer's own array, made on its first value. */
function withValue(layer: Array<string | undefined>, f: number, value: string): Array<string | undefined> {
  const own = layer === NO_VALUES ? new Array<string | undefined>(IDENTITY_FIELDS.length) : layer;
  own[f] = value;
  return own;
}

/**
 * Reads every identity field from each layer; pure (call it before normalisation touches the record). `dotted`:
 * `hasDottedKey(doc)` when the caller knows it already. The result is only to be read: its empty parts are shared.
 */
export function readIdentityLayers(doc: JsonObject, dotted = hasDottedKey(doc)): IdentityLayers {
  if (!dotted && doc.kubernetes === undefined && doc.container === undefined && doc.orchestrator === undefined) return NO_IDENTITY;
  const n = IDENTITY_FIELDS.length;
  const layers: IdentityLayers = { shipper: NO_VALUES, nested: NO_VALUES, dotted: NO_VALUES, dottedKeys: NO_KEYS };
  const k8s = isObject(doc.kubernetes) ? doc.kubernetes : undefined;
  // The hot path (25k docs/s): most documents have no dotted keys, so no key list is built for them.
  const dottedKeys = dotted ? Object.keys(doc).filter((k) => k.includes('.') && IDENTITY_ROOTS.has(k.slice(0, k.indexOf('.')))) : [];
  if (dottedKeys.length > 0) layers.dottedKeys = [];
  for (let f = 0; f < n; f++) {
    const field = IDENTITY_FIELDS[f]!;
    const shipper = k8s ? shipperValue(k8s, field) : undefined;
    if (shipper !== undefined) layers.shipper = withValue(layers.shipper, f, shipper);
    const nested = walk(doc, field.path);
    if (nested !== undefined) layers.nested = withValue(layers.nested, f, nested);
    for (const key of dottedKeys) {
      const segments = key.split('.');
      if (segments.length > field.path.length || !segments.every((s, i) => s === field.path[i])) continue;
      const value = walk(doc[key], field.path.slice(segments.length));
      if (value === undefined) continue;
      if (layers.dotted[f] === undefined) layers.dotted = withValue(layers.dotted, f, value);
      if (!layers.dottedKeys.includes(key)) layers.dottedKeys.push(key);
    }
  }
  return layers;
}

function setForced(root: JsonObject, path: readonly string[], value: string): void {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const next = node[seg];
    if (!isObject(next)) node[seg] = {};
    node = node[seg] as JsonObject;
  }
  node[path[path.length - 1]!] = value;
}

/** Sets `claims.values.<path>` (nested, so `bulwark.claimed.kubernetes.pod.name` is a searchable path). */
function claimAt(claims: Claims, path: readonly string[], value: unknown): void {
  let node = claims.values;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    if (!isObject(node[seg])) node[seg] = {};
    node = node[seg] as JsonObject;
  }
  node[path[path.length - 1]!] = value;
}

/** Records a body value for an identity field that the shipper's metadata contradicted (decoders without layers). */
export function claimIdentity(claims: Claims, path: readonly string[], value: unknown): void {
  claimAt(claims, path, value);
  addTag(claims, IDENTITY_CONFLICT_TAG);
}

/**
 * After normalisation: each identity field is set to its winner (shipper > nested > dotted) and every disagreeing
 * value is claimed; top-level dotted identity keys that could not be expanded (they collided) are removed — their
 * value was either the winner or is now a claim. When the namespace came from the shipper, `orchestrator.namespace`
 * follows it.
 */
export function enforceIdentity(doc: JsonObject, layers: IdentityLayers, claims: Claims): void {
  let conflict = false;
  for (let f = 0; f < IDENTITY_FIELDS.length; f++) {
    const field = IDENTITY_FIELDS[f]!;
    let shipper = layers.shipper[f];
    if (f === ORCHESTRATOR_NAMESPACE_FIELD && shipper === undefined) shipper = layers.shipper[NAMESPACE_FIELD];
    const nested = layers.nested[f];
    const dotted = layers.dotted[f];
    const winner = shipper ?? nested ?? dotted;
    if (winner === undefined) continue;
    const lostNested = nested !== undefined && nested !== winner ? nested : undefined;
    const lostDotted = dotted !== undefined && dotted !== winner && dotted !== lostNested ? dotted : undefined;
    if (lostNested !== undefined || lostDotted !== undefined) {
      conflict = true;
      const lost = lostNested !== undefined && lostDotted !== undefined ? [lostNested, lostDotted] : (lostNested ?? lostDotted);
      claimAt(claims, field.path, lost);
      // A shipper key that could not move to its (body-occupied) ECS place stayed behind; the ECS place is now its.
      const k8s = doc.kubernetes;
      if (winner === shipper && isObject(k8s)) for (const key of field.shipperKeys) delete k8s[key];
    }
    if (walk(doc, field.path) !== winner) setForced(doc, field.path, winner);
  }
  for (const key of layers.dottedKeys) {
    if (Object.hasOwn(doc, key) && doc[key] !== undefined) {
      const value = doc[key];
      doc[key] = undefined;
      if (isObject(value)) {
        // Only the identity leaves were decided above; keep the rest of the object where investigation finds it.
        claimAt(claims, key.split('.'), value);
        conflict = true;
      }
    }
  }
  if (conflict) addTag(claims, IDENTITY_CONFLICT_TAG);
}
