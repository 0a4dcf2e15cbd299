/**
 * The Kubernetes metadata shapes shippers attach, mapped onto the event model's ECS fields:
 *
 * - Filebeat `add_kubernetes_metadata` / Elastic Agent already write ECS-style `kubernetes.pod.name`,
 *   `kubernetes.namespace`, `kubernetes.node.name`, `kubernetes.container.name`, `kubernetes.labels` (dedotted
 *   keys) — https://www.elastic.co/guide/en/beats/filebeat/current/exported-fields-kubernetes-processor.html
 * - Fluent Bit's kubernetes filter writes `kubernetes.{pod_name, namespace_name, pod_id, container_name, docker_id,
 *   container_image, host, labels, annotations}` — https://docs.fluentbit.io/manual/pipeline/filters/kubernetes
 * - Vector's kubernetes_logs source writes `kubernetes.{pod_name, pod_namespace, pod_uid, pod_node_name,
 *   container_name, container_id, container_image, pod_labels, ...}` —
 *   https://vector.dev/docs/reference/configuration/sources/kubernetes_logs/
 *
 * A shipper key is *moved* to its ECS place only when that place is empty; if both are set, the shipper key stays
 * here, so nothing is lost — and for the identity fields (pod, namespace, container, node, container id)
 * `trust.ts` then decides: the shipper's value wins, the body's is claimed under `bulwark.claimed` and flagged. Keys
 * not listed (annotations, pod_ip, pod_owner…) stay as they are.
 */
import { isObject, setOwn, scalarText, type JsonObject } from './fields.js';

/** Shipper key under `kubernetes` → ECS path under `kubernetes`. */
const KUBERNETES_TARGETS = new Map<string, readonly string[]>([
  ['pod_name', ['pod', 'name']],
  ['namespace_name', ['namespace']],
  ['pod_namespace', ['namespace']],
  ['pod_id', ['pod', 'uid']],
  ['pod_uid', ['pod', 'uid']],
  ['container_name', ['container', 'name']],
  ['host', ['node', 'name']],
  ['pod_node_name', ['node', 'name']],
  ['pod_labels', ['labels']],
]);

/** Shipper keys under `kubernetes` that describe the container, not the pod: they go under the event's `container`. */
const CONTAINER_KEYS = new Set(['docker_id', 'container_id', 'container_image']);

/**
 * Sets `path` (constant segments chosen by us, never by a sender) to `value` when nothing is there yet, creating
 * objects on the way; returns false and changes nothing when the place is taken or the way is not an object.
 */
export function setIfEmpty(root: JsonObject, path: readonly string[], value: unknown): boolean {
  let node = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    let next = node[seg];
    if (next === undefined || next === null) {
      next = {};
      node[seg] = next;
    }
    if (!isObject(next)) return false;
    node = next;
  }
  const leaf = path[path.length - 1]!;
  if (node[leaf] !== undefined && node[leaf] !== null) return false;
  node[leaf] = value;
  return true;
}

/** Splits `containerd://0123…` into runtime and id; a bare id has no runtime. */
export function splitContainerId(raw: string): { id: string; runtime?: string } {
  const sep = raw.indexOf('://');
  if (sep <= 0 || !/^[a-z][a-z0-9+.-]*$/.test(raw.slice(0, sep))) return { id: raw };
  return { id: raw.slice(sep + 3), runtime: raw.slice(0, sep) };
}

function hasShipperKey(k8s: JsonObject): boolean {
  for (const key in k8s) if (KUBERNETES_TARGETS.has(key) || CONTAINER_KEYS.has(key)) return true;
  return false;
}

/** Moves one container key to `doc.container`; false when the place was taken. */
function placeContainerKey(doc: JsonObject, key: string, value: unknown): boolean {
  const text = scalarText(value);
  if (text === undefined || text === '') return false;
  if (key === 'container_image') return setIfEmpty(doc, ['container', 'image', 'name'], text);
  const { id, runtime } = splitContainerId(text);
  if (!setIfEmpty(doc, ['container', 'id'], id)) return false;
  if (runtime) setIfEmpty(doc, ['container', 'runtime'], runtime);
  return true;
}

/**
 * Rewrites `doc.kubernetes` from the Fluent Bit / Vector shape to ECS (mutating `doc`). Filebeat documents pass
 * through untouched. The object is rebuilt rather than `delete`d from, which keeps it a fast-properties object.
 */
export function mapShipperKubernetes(doc: JsonObject): void {
  const k8s = doc.kubernetes;
  if (!isObject(k8s) || !hasShipperKey(k8s)) return;
  const out: JsonObject = {};
  const shipper: string[] = [];
  for (const key in k8s) {
    if (!Object.hasOwn(k8s, key)) continue; // for…in: Object.keys' order without building the list
    if (KUBERNETES_TARGETS.has(key) || CONTAINER_KEYS.has(key)) shipper.push(key);
    else setOwn(out, key, k8s[key]);
  }
  for (const key of shipper) {
    const value = k8s[key];
    const target = KUBERNETES_TARGETS.get(key);
    let placed = false;
    if (value === null || value === undefined) placed = true; // null is absence: drop it
    else if (target) placed = !(key === 'host' && typeof value !== 'string') && setIfEmpty(out, target, value);
    else placed = placeContainerKey(doc, key, value);
    if (!placed) out[key] = value;
  }
  doc.kubernetes = out;
}
