/**
 * What `k8s.deletePod` and `k8s.evictPod` share: the pod's manifest as it can be created again (no status, uid,
 * resourceVersion, node or generated token volume), the undo record, and undo itself — the pod is recreated only when
 * no controller owns it (a controller replaces its pods) and it does not exist again.
 *
 * The undo record (with the manifest undo would recreate) is checkpointed in the run journal before the removal: the
 * pod is gone afterwards, so a step retried after a crash takes it from there (`ctx.priorUndo`). It is never read
 * back from the cluster — an Event or annotation there can be edited by others, and a manifest read from one would
 * let them choose what the responder creates. With an idempotency key, a core/v1 Event about the pod
 * (`<pod>.bulwark-<hash>`) tells people which step removed it; it holds the key, not the record.
 */
import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { refuseOwnWorkload, refuseProtected, type ActionContext, type ActionResult, type PlannedChange } from '../action.js';
import { statusOf } from '../kube.js';
import { z } from 'zod';
import { checkpoint, priorRecord } from '../journal.js';
import { ACTION_KEY_ANNOTATION, namespaceName, objectName, readOrNull } from './common.js';

/** What `k8s.deletePod` and `k8s.evictPod` take. */
export const PodRemovalParams = z.strictObject({
  namespace: namespaceName,
  pod: objectName,
  /** Only this pod, not a later one of the same name. */
  uid: z.string().min(1).max(64).optional(),
  /** Seconds the kubelet gives the containers to stop; 0 kills at once. Default: the pod's own. */
  grace_period_seconds: z.number().int().min(0).max(86_400).optional(),
});


export interface PodRemovalUndo {
  namespace: string;
  pod: string;
  uid: string;
  /** `Kind/name` of the controller owning the pod (it replaces the pod, so undo recreates nothing), or null. */
  controller: string | null;
  /** The pod as it can be created again. */
  manifest: k8s.V1Pod;
}

const GENERATED_VOLUME = /^kube-api-access-/;

/** The pod without what the API server, scheduler and kubelet set: what `createNamespacedPod` accepts again. */
export function recreatableManifest(pod: k8s.V1Pod): k8s.V1Pod {
  const plain = JSON.parse(JSON.stringify(pod)) as k8s.V1Pod;
  const meta = plain.metadata ?? {};
  const metadata: k8s.V1ObjectMeta = { name: meta.name!, namespace: meta.namespace! };
  if (meta.labels && Object.keys(meta.labels).length) metadata.labels = meta.labels;
  if (meta.annotations && Object.keys(meta.annotations).length) metadata.annotations = meta.annotations;
  if (meta.ownerReferences?.length) metadata.ownerReferences = meta.ownerReferences;
  if (meta.finalizers?.length) metadata.finalizers = meta.finalizers;
  const spec = { ...plain.spec! };
  delete spec.nodeName;
  // Recomputed by admission from priorityClassName; sending a stale value is refused.
  delete spec.priority;
  // The service-account token volume is generated per pod by admission; it adds a fresh one.
  if (spec.volumes) {
    const volumes = spec.volumes.filter((v) => !GENERATED_VOLUME.test(v.name));
    if (volumes.length) spec.volumes = volumes;
    else delete spec.volumes;
  }
  const unmount = (c: k8s.V1Container): k8s.V1Container => {
    const mounts = c.volumeMounts?.filter((m) => !GENERATED_VOLUME.test(m.name));
    const out = { ...c };
    if (mounts?.length) out.volumeMounts = mounts;
    else delete out.volumeMounts;
    return out;
  };
  spec.containers = spec.containers.map(unmount);
  if (spec.initContainers) spec.initContainers = spec.initContainers.map(unmount);
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

export function undoRecordFor(pod: k8s.V1Pod): PodRemovalUndo {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  return {
    namespace: pod.metadata!.namespace!,
    pod: pod.metadata!.name!,
    uid: pod.metadata!.uid!,
    controller: owner ? `${owner.kind}/${owner.name}` : null,
    manifest: recreatableManifest(pod),
  };
}

/** The Event recording a keyed removal: one name per pod and key, so creating it twice is a conflict, not a copy. */
export function recordName(pod: string, key: string): string {
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${pod.slice(0, 253 - 25)}.bulwark-${hash}`;
}

export function recordEvent(record: PodRemovalUndo, key: string, verb: string): k8s.CoreV1Event {
  const now = new Date();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: recordName(record.pod, key),
      namespace: record.namespace,
      annotations: { [ACTION_KEY_ANNOTATION]: key },
    },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: record.namespace, name: record.pod, uid: record.uid },
    reason: verb === 'evict' ? 'BulwarkEvict' : 'BulwarkDelete',
    message: `Bulwark step ${key} ${verb === 'evict' ? 'evicts' : 'deletes'} this pod`,
    type: 'Warning',
    source: { component: 'bulwark-responder' },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
}

/** Journals the record (before the removal), and tells people through an Event which step removes the pod. */
export async function storeRecord(ctx: ActionContext, record: PodRemovalUndo, verb: string): Promise<void> {
  await checkpoint(ctx, record);
  if (!ctx.idempotencyKey) return;
  try {
    await ctx.kube.core.createNamespacedEvent({ namespace: record.namespace, body: recordEvent(record, ctx.idempotencyKey, verb) });
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
}

/**
 * The shared `run`: finds the pod (and an earlier attempt's record), plans, and calls `remove` for the pod with
 * that uid. `verb` is `delete` or `evict`; `detail` is what is sent for a pod's uid (the plan shows it).
 */
export async function removePod(
  ctx: ActionContext,
  params: { namespace: string; pod: string; uid?: string | undefined },
  verb: 'delete' | 'evict',
  detail: (uid: string) => unknown,
  remove: (uid: string) => Promise<void>,
): Promise<ActionResult<PodRemovalUndo>> {
  refuseProtected(ctx, params.namespace);
  const target = `pods/${params.namespace}/${params.pod}`;
  const done = verb === 'evict' ? 'evicted' : 'deleted';
  // What an earlier attempt of this very step journaled (the pod may be gone since): never read from the cluster.
  const earlier = priorRecord<PodRemovalUndo>(ctx, (r) => r.namespace === params.namespace && r.pod === params.pod);
  const pod = await readOrNull(() => ctx.kube.core.readNamespacedPod({ namespace: params.namespace, name: params.pod }));
  const uid = earlier?.uid ?? params.uid;
  if (!pod || (uid !== undefined && pod.metadata?.uid !== uid)) {
    const why = pod ? `pod ${params.namespace}/${params.pod} is another pod now (uid ${pod.metadata?.uid})` : `pod ${params.namespace}/${params.pod} does not exist`;
    return { changed: false, summary: earlier ? `${why}: already ${done} by this step` : why, plan: [], undo: earlier };
  }
  refuseOwnWorkload(pod.metadata, `pod ${params.namespace}/${params.pod}`, 'pod');
  const record = earlier ?? undoRecordFor(pod);
  const plan: PlannedChange[] = [{ kind: 'delete', target: verb === 'evict' ? `${target}/eviction` : target, detail: detail(record.uid) }];
  if (ctx.dryRun) return { changed: false, summary: `would ${verb} pod ${params.namespace}/${params.pod}`, plan, undo: null };
  // Recorded first: after a crash in between, the retry still finds the record.
  if (!earlier) await storeRecord(ctx, record, verb);
  await remove(record.uid);
  const replaced = record.controller ? ` (its controller ${record.controller} replaces it)` : '';
  return { changed: true, summary: `${done} pod ${params.namespace}/${params.pod}${replaced}`, plan, undo: record };
}

/** The shared `undo`: recreates the pod unless a controller owns it or it exists again. */
export async function restorePod(ctx: ActionContext, record: PodRemovalUndo): Promise<ActionResult<null>> {
  refuseProtected(ctx, record.namespace);
  const name = `pod ${record.namespace}/${record.pod}`;
  if (record.manifest?.metadata?.namespace !== record.namespace || record.manifest.metadata.name !== record.pod) {
    return { changed: false, summary: `refused: the undo record's manifest is not ${name}`, plan: [], undo: null };
  }
  if (record.controller) {
    return { changed: false, summary: `${name} was owned by ${record.controller}, which replaces it: nothing to recreate`, plan: [], undo: null };
  }
  const current = await readOrNull(() => ctx.kube.core.readNamespacedPod({ namespace: record.namespace, name: record.pod }));
  if (current) return { changed: false, summary: `${name} exists again: nothing to recreate`, plan: [], undo: null };
  const plan: PlannedChange[] = [{ kind: 'create', target: `pods/${record.namespace}/${record.pod}`, detail: record.manifest }];
  if (ctx.dryRun) return { changed: false, summary: `would recreate ${name}`, plan, undo: null };
  try {
    await ctx.kube.core.createNamespacedPod({ namespace: record.namespace, body: record.manifest });
  } catch (err) {
    if (statusOf(err) === 409) return { changed: false, summary: `${name} exists again: nothing to recreate`, plan: [], undo: null };
    throw err;
  }
  return { changed: true, summary: `recreated ${name}`, plan, undo: null };
}
