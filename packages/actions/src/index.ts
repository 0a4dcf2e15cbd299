/**
 * @bulwark/actions — containment actions, one folder per family, each self-describing (see `action.ts`). Each family's
 * `index.ts` lists its actions; the registry below is what the playbook engine, the RBAC manifest and
 * `bulwark actions list` read.
 */
export * from './action.js';
export { kubeClients, kubeConfigOf, statusOf, type KubeClients, type KubeOptions } from './kube.js';
export { rbacRules, rbacManifest } from './rbac.js';
export { ESTABLISHED_NOTE, quarantinePod, QUARANTINE_LABEL, type QuarantineParams, type QuarantineUndo } from './k8s/quarantine-pod.js';
export { scaleWorkload, type ScaleParams, type ScaleUndo } from './k8s/scale-workload.js';
export { cordonNode, type CordonParams, type CordonUndo } from './k8s/cordon-node.js';
export { revokeServiceAccount, REVOCATION_ANNOTATION, type RevokeServiceAccountParams, type RevokeServiceAccountUndo } from './credentials/revoke-service-account.js';
export { revokeUserBindings, type RevokeUserParams, type RevokeUserUndo } from './credentials/revoke-user-bindings.js';
export { type BindingBackup, type SkippedBinding } from './credentials/bindings.js';
export { deletePod, type DeletePodParams, type DeletePodUndo } from './k8s/delete-pod.js';
export { evictPod, type EvictPodParams, type EvictPodUndo } from './k8s/evict-pod.js';
export { label, annotate, type MetadataParams, type MetadataUndo } from './k8s/metadata.js';
export { captureEvidence, type CaptureEvidenceParams } from './k8s/capture-evidence.js';
export { ACTION_KEY_ANNOTATION } from './k8s/common.js';
export { httpRequest, type HttpRequestParams, type HttpAuth } from './notify/http-request.js';
export { notifyWebhook, WEBHOOK_FORMATS, PAGERDUTY_SEVERITY, type WebhookParams } from './notify/webhook.js';
export { notifyEmail, IDEMPOTENCY_HEADER, type EmailParams } from './notify/email.js';
export { revokeExternal, type RevokeExternalParams } from './notify/revoke-external.js';
export { OutboundError, DEFAULT_HTTP_TIMEOUT_MS, MAX_RESPONSE_BYTES } from './notify/outbound.js';
export { restrictedReason } from './notify/address-policy.js';

import type { AnyAction } from './action.js';
import { CREDENTIALS_ACTIONS } from './credentials/index.js';
import { INCIDENT_ACTIONS } from './incident/index.js';
import { K8S_ACTIONS } from './k8s/index.js';
import { NOTIFY_ACTIONS } from './notify/index.js';

/** Every action, by name. */
export const ACTIONS: ReadonlyMap<string, AnyAction> = new Map(
  [...K8S_ACTIONS, ...CREDENTIALS_ACTIONS, ...NOTIFY_ACTIONS, ...INCIDENT_ACTIONS].map((a) => [a.name, a]),
);
