/**
 * `k8s.label` and `k8s.annotate`: set and remove labels or annotations on a Pod, Deployment, StatefulSet, DaemonSet,
 * Namespace or Node with one JSON merge patch (e.g. `security.bulwark.io/compromised=true` for other tools to see).
 * Keys and values are checked as Kubernetes checks them. The undo record keeps the previous value of every key the
 * run changed (null: it was absent); undo restores those values.
 *
 * The undo record is checkpointed in the run journal before the patch: a retry after a crash takes the previous values
 * from there (`ctx.priorUndo`), never from the object, whose owner can edit its annotations. With an idempotency key,
 * the same patch puts the key on the object (annotation `bulwark.io/<labels|annotations>-action-key`, a pointer);
 * undo removes it again, and also `bulwark.io/previous-<labels|annotations>`, which earlier versions wrote there.
 */
import type * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import { refuseOwnWorkload, refuseProtected, type Action, type ActionContext, type PlannedChange } from '../action.js';
import { checkpoint, foreignRecord, priorRecord, refusedUndo } from '../journal.js';
import { mergePatch, namespaceName, objectName, readOrNull } from './common.js';

const KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'Namespace', 'Node'] as const;
type Kind = (typeof KINDS)[number];
const CLUSTER_SCOPED: readonly Kind[] = ['Namespace', 'Node'];
type Field = 'labels' | 'annotations';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** The API server's limit on all of an object's annotations together. */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

/** Why `key` is not a qualified name (`[prefix/]name`) as Kubernetes requires of label and annotation keys, or null. */
export function keyProblem(key: string): string | null {
  const parts = key.split('/');
  if (parts.length > 2) return 'a key has at most one slash (prefix/name)';
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (!prefix) return 'the prefix before the slash must not be empty';
    if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) return 'the prefix must be a DNS subdomain (lower case, at most 253 characters)';
  }
  if (!name) return 'the name part must not be empty';
  if (name.length > 63) return 'the name part must be at most 63 characters';
  if (!NAME_PART.test(name)) return 'the name part must be alphanumerics, dashes, underscores or dots, starting and ending with an alphanumeric';
  return null;
}

/** Why `value` is not a valid label value, or null. */
export function labelValueProblem(value: string): string | null {
  if (value.length > 63) return 'a label value must be at most 63 characters';
  if (!LABEL_VALUE.test(value)) return 'a label value must be empty or alphanumerics, dashes, underscores or dots, starting and ending with an alphanumeric';
  return null;
}

const keyAnnotation = (field: Field): string => `bulwark.io/${field}-action-key`;
const previousAnnotation = (field: Field): string => `bulwark.io/previous-${field}`;

function paramsFor(field: Field) {
  const what = field === 'labels' ? 'label' : 'annotation';
  const reserved = [keyAnnotation(field), previousAnnotation(field)];
  return z
    .strictObject({
      kind: z.enum(KINDS),
      /** For Pods and workloads; not for a Namespace or Node. */
      namespace: namespaceName.optional(),
      name: objectName,
      set: z.record(z.string(), z.string()).default({}),
      remove: z.array(z.string()).max(64).default([]),
    })
    .superRefine((p, ctx) => {
      const clusterScoped = CLUSTER_SCOPED.includes(p.kind);
      if (!clusterScoped && p.namespace === undefined) {
        ctx.addIssue({ code: 'custom', path: ['namespace'], message: `namespace is required for a ${p.kind}` });
      }
      if (clusterScoped && p.namespace !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['namespace'], message: `a ${p.kind} has no namespace: leave namespace out` });
      }
      const setKeys = Object.keys(p.set);
      if (setKeys.length === 0 && p.remove.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['set'], message: `set or remove must name at least one ${what}` });
      }
      if (setKeys.length > 64) ctx.addIssue({ code: 'custom', path: ['set'], message: `set takes at most 64 ${what}s` });
      let bytes = 0;
      for (const key of setKeys) {
        const value = p.set[key]!;
        bytes += key.length + Buffer.byteLength(value);
        const problem = keyProblem(key) ?? (reserved.includes(key) ? 'reserved for Bulwark' : null);
        if (problem) ctx.addIssue({ code: 'custom', path: ['set', key], message: `set: ${what} key '${key}' is invalid: ${problem}` });
        const valueProblem = field === 'labels' ? labelValueProblem(value) : null;
        if (valueProblem) ctx.addIssue({ code: 'custom', path: ['set', key], message: `set: ${what} '${key}' has an invalid value: ${valueProblem}` });
      }
      if (bytes > ANNOTATIONS_MAX_BYTES) {
        ctx.addIssue({ code: 'custom', path: ['set'], message: `set: ${what}s may total at most ${ANNOTATIONS_MAX_BYTES} bytes` });
      }
      p.remove.forEach((key, i) => {
        const problem = keyProblem(key) ?? (reserved.includes(key) ? 'reserved for Bulwark' : null);
        if (problem) ctx.addIssue({ code: 'custom', path: ['remove', i], message: `remove: ${what} key '${key}' is invalid: ${problem}` });
        if (Object.hasOwn(p.set, key)) ctx.addIssue({ code: 'custom', path: ['remove', i], message: `remove: '${key}' is also in set` });
      });
    });
}

const LabelParams = paramsFor('labels');
export type MetadataParams = z.infer<typeof LabelParams>;
export type MetadataInput = z.input<typeof LabelParams>;

export interface MetadataUndo {
  kind: Kind;
  namespace?: string;
  name: string;
  /** Each key this action changed and its value before (null: it was absent). */
  previous: Record<string, string | null>;
  /** The idempotency key recorded on the object (undo removes that record). */
  key?: string;
}

type Ref = { kind: Kind; namespace?: string | undefined; name: string };

const targetOf = (r: Ref): string =>
  CLUSTER_SCOPED.includes(r.kind) ? `${r.kind.toLowerCase()}s/${r.name}` : `${r.kind.toLowerCase()}s/${r.namespace}/${r.name}`;

async function readMeta(ctx: ActionContext, r: Ref): Promise<k8s.V1ObjectMeta | null> {
  const { core, apps } = ctx.kube;
  const args = { namespace: r.namespace!, name: r.name };
  const object = await readOrNull<{ metadata?: k8s.V1ObjectMeta }>(() => {
    switch (r.kind) {
      case 'Pod': return core.readNamespacedPod(args);
      case 'Deployment': return apps.readNamespacedDeployment(args);
      case 'StatefulSet': return apps.readNamespacedStatefulSet(args);
      case 'DaemonSet': return apps.readNamespacedDaemonSet(args);
      case 'Namespace': return core.readNamespace({ name: r.name });
      case 'Node': return core.readNode({ name: r.name });
    }
  });
  return object ? (object.metadata ?? {}) : null;
}

async function patchMeta(ctx: ActionContext, r: Ref, body: object): Promise<void> {
  const { core, apps } = ctx.kube;
  const args = { namespace: r.namespace!, name: r.name, body };
  switch (r.kind) {
    case 'Pod': await core.patchNamespacedPod(args, mergePatch); break;
    case 'Deployment': await apps.patchNamespacedDeployment(args, mergePatch); break;
    case 'StatefulSet': await apps.patchNamespacedStatefulSet(args, mergePatch); break;
    case 'DaemonSet': await apps.patchNamespacedDaemonSet(args, mergePatch); break;
    case 'Namespace': await core.patchNamespace({ name: r.name, body }, mergePatch); break;
    case 'Node': await core.patchNode({ name: r.name, body }, mergePatch); break;
  }
}

function refuse(ctx: ActionContext, r: Ref): void {
  if (r.kind === 'Namespace') refuseProtected(ctx, r.name);
  else if (r.namespace !== undefined) refuseProtected(ctx, r.namespace);
}

/** The merge patch `{metadata: {labels?, annotations?}}`, `field` and bookkeeping annotations combined. */
function metadataPatch(field: Field, changes: Record<string, string | null>, bookkeeping: Record<string, string | null>): object {
  const metadata: Record<string, Record<string, string | null>> = {};
  if (Object.keys(changes).length) metadata[field] = { ...changes };
  if (Object.keys(bookkeeping).length) metadata.annotations = { ...metadata.annotations, ...bookkeeping };
  return { metadata };
}

function metadataAction(field: Field): Action<MetadataParams, MetadataUndo, MetadataInput> {
  const Params = field === 'labels' ? LabelParams : paramsFor(field);
  const what = field === 'labels' ? 'label' : 'annotation';
  const byKey = keyAnnotation(field);
  const previousKey = previousAnnotation(field);
  return {
    name: field === 'labels' ? 'k8s.label' : 'k8s.annotate',
    description: `Set or remove ${what}s on a Pod, Deployment, StatefulSet, DaemonSet, Namespace or Node; undo restores their previous values.`,
    params: Params,
    rbac: [
      { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: ['get', 'patch'] },
    ],
    example:
      field === 'labels'
        ? { kind: 'Pod', namespace: 'payments', name: 'api-7f9c', set: { 'security.bulwark.io/compromised': 'true' }, remove: ['tier'] }
        : { kind: 'Deployment', namespace: 'payments', name: 'api', set: { 'bulwark.io/incident': 'inc-42' } },

    async run(ctx, input) {
      const params = Params.parse(input);
      refuse(ctx, params);
      const target = targetOf(params);
      const meta = await readMeta(ctx, params);
      if (!meta) throw new BulwarkError('BWK_NOT_FOUND', `${target} does not exist`, { field: 'name' });
      refuseOwnWorkload(meta, target, 'name');
      const current = (meta[field] ?? {}) as Record<string, string>;
      const key = ctx.idempotencyKey;
      // What an earlier attempt of this very step recorded: from the journal, never from the object's annotations.
      const prior = priorRecord<MetadataUndo>(ctx, (r) => r.kind === params.kind && r.namespace === params.namespace && r.name === params.name);
      const recorded = prior?.previous ?? null;

      const changes: Record<string, string | null> = {};
      const previous: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(params.set)) {
        if (current[k] !== v) {
          changes[k] = v;
          previous[k] = current[k] ?? null;
        }
      }
      for (const k of params.remove) {
        if (Object.hasOwn(current, k)) {
          changes[k] = null;
          previous[k] = current[k]!;
        }
      }
      const ref = { kind: params.kind, ...(params.namespace !== undefined ? { namespace: params.namespace } : {}), name: params.name };
      if (Object.keys(changes).length === 0) {
        return {
          changed: false,
          summary: `${target} already has those ${what}s`,
          plan: [],
          undo: prior,
        };
      }
      // A value recorded by an earlier attempt of this step is the older one: it wins.
      const undoPrevious = { ...previous, ...recorded };
      const bookkeeping = key && meta.annotations?.[byKey] !== key ? { [byKey]: key } : {};
      const body = metadataPatch(field, changes, bookkeeping);
      const plan: PlannedChange[] = [{ kind: 'patch', target, detail: body }];
      if (ctx.dryRun) return { changed: false, summary: `would change ${what}s of ${target}`, plan, undo: null };
      const undo: MetadataUndo = { ...ref, previous: undoPrevious, ...(key ? { key } : {}) };
      await checkpoint(ctx, undo);
      await patchMeta(ctx, params, body);
      return { changed: true, summary: `changed ${what}s ${Object.keys(changes).join(', ')} of ${target}`, plan, undo };
    },

    async undo(ctx, record) {
      refuse(ctx, record);
      const foreign = foreignRecord(ctx, record.key);
      if (foreign) return refusedUndo(foreign);
      const target = targetOf(record);
      const meta = await readMeta(ctx, record);
      if (!meta) return { changed: false, summary: `${target} does not exist: nothing to restore`, plan: [], undo: null };
      const current = (meta[field] ?? {}) as Record<string, string>;
      const changes: Record<string, string | null> = {};
      for (const [k, v] of Object.entries(record.previous)) {
        if ((current[k] ?? null) !== v) changes[k] = v;
      }
      const bookkeeping: Record<string, string | null> =
        record.key && meta.annotations?.[byKey] === record.key ? { [byKey]: null, [previousKey]: null } : {};
      if (Object.keys(changes).length === 0 && Object.keys(bookkeeping).length === 0) {
        return { changed: false, summary: `${target} already has its previous ${what}s`, plan: [], undo: null };
      }
      const body = metadataPatch(field, changes, bookkeeping);
      const plan: PlannedChange[] = [{ kind: 'patch', target, detail: body }];
      if (!ctx.dryRun) await patchMeta(ctx, record, body);
      return { changed: !ctx.dryRun, summary: `restored ${what}s of ${target}`, plan, undo: null };
    },
  };
}

export const label = metadataAction('labels');
export const annotate = metadataAction('annotations');
