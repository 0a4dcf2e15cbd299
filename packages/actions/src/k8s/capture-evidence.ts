/**
 * `k8s.captureEvidence`: one JSON bundle about a pod before anyone touches it — its metadata, spec and status, the
 * namespace's most recent events about it, each container's log, and the log of each container's previous instance
 * where it restarted (an attacker's process that crashed the container, or was restarted away, is often only there).
 * Where no kubelet answers (e.g. a node that is gone) the bundle says `logs unavailable: <reason>` for that
 * container; a log never fails the capture. The SHA-256
 * of the bundle's exact bytes is returned, and with an incident the bundle is stored on it. Read-only: it changes
 * nothing in the cluster, so there is nothing to undo and it does not count against the blast-radius limits.
 */
import { createHash } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { refuseProtected, type Action, type PlannedChange } from '../action.js';
import { namespaceName, objectName, reasonOf } from './common.js';

const Params = z.strictObject({
  namespace: namespaceName,
  pod: objectName,
  /** Last lines of each container's log. */
  tail_lines: z.number().int().min(1).max(100_000).default(1000),
  /** Cap on each container's log, bytes. */
  limit_bytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
  /** The most recent events about the pod. */
  max_events: z.number().int().min(0).max(1000).default(100),
});
export type CaptureEvidenceParams = z.infer<typeof Params>;
export type CaptureEvidenceInput = z.input<typeof Params>;

export const EVIDENCE_MEDIA_TYPE = 'application/json';

const eventTime = (e: k8s.CoreV1Event): number =>
  new Date(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp ?? 0).getTime();

const containersOf = (pod: k8s.V1Pod): string[] => [
  ...(pod.spec?.initContainers ?? []).map((c) => c.name),
  ...(pod.spec?.containers ?? []).map((c) => c.name),
];

/** Containers whose previous instance ended (the kubelet keeps that instance's log until the next restart). */
function restartedContainers(pod: k8s.V1Pod): Set<string> {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return new Set(statuses.filter((s) => (s.restartCount ?? 0) > 0 || s.lastState?.terminated).map((s) => s.name));
}

export const captureEvidence: Action<CaptureEvidenceParams, null, CaptureEvidenceInput> = {
  name: 'k8s.captureEvidence',
  description: "Capture a pod's spec and status, its recent events and its containers' logs as one hashed JSON bundle on the incident.",
  params: Params,
  rbac: [
    { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get'] },
    { apiGroups: [''], resources: ['events'], verbs: ['list'] },
  ],
  example: { namespace: 'payments', pod: 'api-7f9c', tail_lines: 500 },
  limited: false,

  async run(ctx, input) {
    const params = Params.parse(input);
    refuseProtected(ctx, params.namespace);
    const { core } = ctx.kube;
    const { namespace, pod: name } = params;
    const incidentId = ctx.run?.incidentId;
    const store = ctx.incidents && incidentId ? ctx.incidents : null;
    const pod = await core.readNamespacedPod({ namespace, name });
    const containers = containersOf(pod);
    const fieldSelector = `involvedObject.kind=Pod,involvedObject.name=${name}`;
    const plan: PlannedChange[] = [
      {
        kind: 'create',
        target: store ? `incidents/${incidentId}/evidence` : 'evidence (hash only: no incident to store it on)',
        detail: {
          pod: `pods/${namespace}/${name}`,
          events: { fieldSelector, max: params.max_events },
          logs: { containers, tail_lines: params.tail_lines, limit_bytes: params.limit_bytes },
        },
      },
    ];
    if (ctx.dryRun) {
      return { changed: false, summary: `would capture pod ${namespace}/${name}, its events and ${containers.length} container logs`, plan, undo: null };
    }

    const events = (await core.listNamespacedEvent({ namespace, fieldSelector })).items
      .sort((a, b) => eventTime(b) - eventTime(a))
      .slice(0, params.max_events)
      .map((e) => ({
        type: e.type,
        reason: e.reason,
        message: e.message,
        count: e.count,
        first_timestamp: e.firstTimestamp ?? e.eventTime ?? null,
        last_timestamp: e.lastTimestamp ?? e.eventTime ?? null,
        source: e.source?.component ?? e.reportingComponent ?? null,
        involved_object: { kind: e.involvedObject.kind, name: e.involvedObject.name, uid: e.involvedObject.uid },
      }));

    const readLog = async (container: string, previous: boolean): Promise<string> => {
      try {
        return await core.readNamespacedPodLog({
          namespace,
          name,
          container,
          previous,
          tailLines: params.tail_lines,
          limitBytes: params.limit_bytes,
          timestamps: true,
        });
      } catch (err) {
        return `logs unavailable: ${reasonOf(err)}`;
      }
    };
    const logs: Record<string, string> = {};
    const previousLogs: Record<string, string> = {};
    const restarted = restartedContainers(pod);
    for (const container of containers) {
      logs[container] = await readLog(container, false);
      if (restarted.has(container)) previousLogs[container] = await readLog(container, true);
    }

    const capturedAt = new Date().toISOString();
    const bundle = {
      type: 'bulwark.pod-evidence/v1',
      captured_at: capturedAt,
      ...(ctx.run ? { run: { id: ctx.run.id, step: ctx.run.step, playbook: ctx.run.playbook } } : {}),
      namespace,
      pod: name,
      uid: pod.metadata?.uid ?? null,
      manifest: { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata, spec: pod.spec, status: pod.status },
      events,
      logs,
      previous_logs: previousLogs,
    };
    const content = JSON.stringify(bundle);
    const sha256 = createHash('sha256').update(content, 'utf8').digest('hex');
    const bytes = Buffer.byteLength(content, 'utf8');
    const evidenceName = `pod-${namespace}-${name}-${capturedAt.replace(/[:.]/g, '')}.json`;
    const evidence = store ? await store.addEvidence(incidentId!, { name: evidenceName, mediaType: EVIDENCE_MEDIA_TYPE, content, sha256 }) : null;
    return {
      changed: false,
      summary: `captured pod ${namespace}/${name} (${events.length} events, ${containers.length} logs, ${bytes} bytes, sha256 ${sha256})${evidence ? ` as evidence ${evidence}` : ''}`,
      plan,
      undo: null,
      outputs: { sha256, evidence, bytes },
    };
  },

  async undo() {
    return { changed: false, summary: 'evidence capture changes nothing: nothing to undo', plan: [], undo: null };
  },
};
