// services: k8s
/**
 * Response end to end: a crypto miner reported by Falco ends with its workload scaled to zero on a real API server, and
 * undo brings it back. The API server of test/services runs no controllers, so the test creates what they would have:
 * a Deployment (3 replicas), its ReplicaSet and a pod of it, linked by ownerReferences (the pod stays Pending).
 *
 * A Falco event naming that pod is posted to the collector; the bundled rule crypto_miner_process raises a critical
 * alert about the pod; the bundled playbook respond-to-crypto-miner follows the pod's owners to the Deployment and
 * scales it to 0 as the responder identity (deploy/responder-clusterrole.yaml) once a person with the `approve` scope
 * agrees (scaling a whole workload to zero always waits for a person, even on Falco's word: docs/ARCHITECTURE.md,
 * "What acts without a person"), notes it on the
 * incident, and audits each step and the decision. The critical alert also starts contain-compromised-pod, which quarantines the pod itself: both runs act on
 * different objects and both are checked. A repeat of the event starts nothing new (one run per playbook and incident).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { ACTION_KEY_ANNOTATION, QUARANTINE_LABEL, type KubeClients } from '@bulwark/actions';
import { BUNDLED_PLAYBOOKS } from '@bulwark/responder';
import type { Alert, Incident } from '@bulwark/schema';
import { startHarness, type Harness } from '../support/harness.js';
import { testKube } from '../support/kube-clients.js';
import { until } from '../support/until.js';
import { falcoMinerEvent } from '../support/falco.js';

const CRYPTO_MINER_RULE = '3a29cf41-1fca-4646-b512-59a16968c5a6';

type Step = { id: string; action: string; status: string; summary: string | null; undo_summary: string | null; outputs: Record<string, unknown> | null; undo: any; plan: any };
type Run = { id: string; playbook: string; status: string; error: string | null; trigger: { kind: string; alert_id: string; incident_id: string }; inputs: Record<string, unknown>; steps: Step[] };
type AuditRecord = { id: string; step_id: string; result: string; actor: string; action: string; target_id: string; incident_id: string; before_json: string | null };


describe('a Falco crypto-miner event scales its workload to zero on a real API server; undo scales it back', () => {
  let h: Harness;
  let admin: KubeClients;
  const namespace = `mine-${randomBytes(3).toString('hex')}`;
  const rsName = 'shop-7c9d8f5b4';
  const pod = `${rsName}-x2k4q`;
  const falcoEvent = (uuid: string) => falcoMinerEvent(namespace, pod, uuid);
  const first = falcoEvent(randomUUID());

  const get = async <T>(path: string): Promise<T> => {
    const res = await h.fetch(path, { token: h.tokens.read });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return (await res.json()) as T;
  };
  const postFalco = async (event: unknown) => {
    const res = await h.fetch('/v1/ingest/falco', { method: 'POST', token: h.tokens.ingest, headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as { accepted: number; created: number; duplicates: number; rejected: number };
  };
  const deployment = () => admin.apps.readNamespacedDeployment({ namespace, name: 'shop' });
  const runsOf = async (playbook: string, incidentId: string) =>
    (await get<{ items: Run[] }>(`/v1/runs?playbook=${playbook}&incident_id=${encodeURIComponent(incidentId)}`)).items;

  before(async () => {
    let responder: KubeClients;
    ({ admin, responder } = await testKube(namespace));
    const labels = { app: 'shop', 'pod-template-hash': '7c9d8f5b4' };
    const template = { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'shop', image: 'shop:1.4' }] } };
    const owner = (kind: string, name: string, uid: string): k8s.V1OwnerReference => ({ apiVersion: 'apps/v1', kind, name, uid, controller: true, blockOwnerDeletion: true });
    const dep = await admin.apps.createNamespacedDeployment({
      namespace,
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop' }, spec: { replicas: 3, selector: { matchLabels: { app: 'shop' } }, template } },
    });
    const rs = await admin.apps.createNamespacedReplicaSet({
      namespace,
      body: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: rsName, labels, ownerReferences: [owner('Deployment', 'shop', dep.metadata!.uid!)] },
        spec: { replicas: 3, selector: { matchLabels: labels }, template: { ...template, metadata: { labels } } },
      },
    });
    await admin.core.createNamespacedPod({
      namespace,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, labels, ownerReferences: [owner('ReplicaSet', rsName, rs.metadata!.uid!)] }, spec: template.spec },
    });
    h = await startHarness(
      {},
      {
        correlator: { pollIntervalMs: 50 },
        responder: { kube: responder, playbooksDir: BUNDLED_PLAYBOOKS },
      },
    );
  });
  after(async () => {
    await h?.close();
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  let run: Run;
  let incidentId: string;

  it('the event raises the bundled alert about the pod, and respond-to-crypto-miner scales its Deployment to 0 once approved', async () => {
    assert.deepEqual(await postFalco(first), { accepted: 1, created: 1, duplicates: 0, rejected: 0 });

    // Trusted evidence (Bulwark's rule over Falco), and still a person decides before a workload is scaled to zero.
    const waiting = await until('the scale-down waits for approval', async () => {
      const items = (await get<{ items: Run[] }>('/v1/runs?playbook=respond-to-crypto-miner')).items.filter((r) => r.inputs.namespace === namespace);
      return items.length === 1 && items[0]!.status === 'waiting_approval' ? (items[0] as Run & { evidence: any }) : null;
    });
    assert.equal(waiting.evidence.trusted, true);
    assert.deepEqual(waiting.evidence.provenance.sources, ['falco']);
    assert.equal((waiting.steps[0] as Step & { approval: { reason: string } }).approval.reason, 'playbook');
    assert.equal((await deployment()).spec?.replicas, 3, 'nothing scaled before the approval');
    const approve = await h.fetch(`/v1/runs/${waiting.id}/approve`, { method: 'POST', token: h.tokens.approve, headers: { 'content-type': 'application/json' }, body: '{"comment":"miner confirmed"}' });
    assert.equal(approve.status, 200, await approve.clone().text());

    // The Deployment — not the ReplicaSet the pod belongs to directly — is scaled, on the real API server.
    await until('the Deployment is scaled to 0', async () => (await deployment()).spec?.replicas === 0);
    const scaled = await deployment();
    assert.equal(scaled.metadata?.annotations?.['bulwark.io/previous-replicas'], '3', 'the previous count is recorded on the Deployment');
    assert.equal((await admin.apps.readNamespacedReplicaSet({ namespace, name: rsName })).spec?.replicas, 3, 'the ReplicaSet is left to its Deployment');

    run = await until('the run succeeded', async () => {
      const items = (await get<{ items: Run[] }>('/v1/runs?playbook=respond-to-crypto-miner')).items.filter((r) => r.inputs.namespace === namespace);
      return items.length === 1 && items[0]!.status === 'succeeded' ? items[0] : null;
    });
    incidentId = run.trigger.incident_id;
    assert.equal(run.trigger.kind, 'alert');
    assert.deepEqual(run.inputs, { namespace, pod });
    assert.equal(run.error, null);
    assert.deepEqual(run.steps.map((s) => [s.id, s.action, s.status]), [
      ['scale_down', 'k8s.scaleWorkload', 'succeeded'],
      ['record', 'incident.update', 'succeeded'],
    ]);
    const [scaleDown, record] = run.steps as [Step, Step];
    const chain = `Pod ${namespace}/${pod} → ReplicaSet ${rsName} → Deployment shop`;
    assert.equal(scaleDown.summary, `scaled deployments/${namespace}/shop/scale from 3 to 0 (${chain})`);
    assert.deepEqual(scaleDown.outputs, { namespace, kind: 'Deployment', name: 'shop', previous: 3, replicas: 0 });
    assert.deepEqual(scaleDown.undo, { namespace, kind: 'Deployment', name: 'shop', previous: 3, pod, key: `${run.id}/scale_down` });
    assert.equal(scaled.metadata?.annotations?.[ACTION_KEY_ANNOTATION], `${run.id}/scale_down`);
    assert.ok(record.undo.tags.remove.includes('miner-scaled-down'), JSON.stringify(record.undo));

    // The alert: the bundled rule, critical, about the pod, in the incident the run is for.
    const alert = (await h.deps.cases.get<Alert>('alerts', run.trigger.alert_id))!.record;
    assert.equal(alert.rule.id, CRYPTO_MINER_RULE);
    assert.equal(alert.severity, 'critical');
    assert.deepEqual(alert.entity, { kind: 'workload', value: pod, namespace });
    assert.deepEqual(alert.annotations, { pod: `${namespace}/${pod}`, pod_namespace: namespace, pod_name: pod });
    assert.equal(alert.incident_id, incidentId);

    // The incident's timeline has both steps, its tags and comment the note naming the Deployment.
    const incident = await get<Incident>(`/v1/incidents/${encodeURIComponent(incidentId)}`);
    const actions = incident.timeline.filter((e) => e.kind === 'action' && e.ref.startsWith(`${run.id}/`));
    assert.deepEqual(actions.map((e) => [e.ref, e.summary]), [
      [`${run.id}/scale_down`, 'respond-to-crypto-miner: step scale_down (k8s.scaleWorkload) waits for approval'],
      [`${run.id}/scale_down`, `respond-to-crypto-miner: k8s.scaleWorkload: scaled deployments/${namespace}/shop/scale from 3 to 0 (${chain})`],
      [`${run.id}/record`, `respond-to-crypto-miner: incident.update: updated incident ${incidentId}`],
    ]);
    assert.ok(incident.tags.includes('miner-scaled-down'), `tags: ${incident.tags.join(', ')}`);
    const note = `Deployment ${namespace}/shop (running pod ${namespace}/${pod}) set to 0 replicas (was 3) (run ${run.id}); undo the run to scale it back.`;
    const comment = incident.comments.find((c) => c.text === note);
    assert.ok(comment, `the note: ${JSON.stringify(incident.comments)}`);
    assert.equal(comment.author, 'responder');
    assert.ok(incident.timeline.some((e) => e.kind === 'comment' && e.ref === comment.id), 'the comment is on the timeline');

    // The audit trail: one record per step, by the playbook on behalf of the alert, and the decision naming the approver.
    const audit = await h.deps.cases.query<AuditRecord>('audit', { filter: { run_id: run.id }, size: 10 });
    const steps = audit.items.filter(({ record: r }) => r.action.startsWith('action.'));
    const byStep = Object.fromEntries(steps.map(({ record: r }) => [r.step_id, r]));
    assert.deepEqual(steps.map(({ record: r }) => r.step_id).sort(), ['record', 'scale_down']);
    const decision = audit.items.find(({ record: r }) => r.action === 'run.approve')!.record as AuditRecord & { requested_by: string };
    assert.deepEqual([decision.actor, decision.result, decision.requested_by], ['test-approve', 'approved', 'responder']);
    assert.equal((byStep.scale_down as AuditRecord & { approved_by: string }).approved_by, 'test-approve');
    for (const r of Object.values(byStep)) {
      assert.equal(r.actor, 'playbook:respond-to-crypto-miner');
      assert.equal(r.result, 'succeeded');
      assert.equal(r.incident_id, incidentId);
    }
    assert.equal(byStep.scale_down!.action, 'action.k8s.scaleWorkload');
    assert.equal(byStep.scale_down!.target_id, `deployments/${namespace}/shop/scale`);
    assert.deepEqual(JSON.parse(byStep.scale_down!.before_json!), scaleDown.undo);
    assert.equal(byStep.record!.action, 'action.incident.update');
  });

  it('the critical alert also starts contain-compromised-pod, which quarantines the pod itself and leaves the Deployment alone', async () => {
    const contain = await until('contain-compromised-pod finished', async () => {
      const items = await runsOf('contain-compromised-pod', incidentId);
      return items.length === 1 && !['pending', 'running'].includes(items[0]!.status) ? items[0] : null;
    });
    assert.equal(contain.status, 'succeeded', JSON.stringify(contain.steps.map((s) => [s.id, s.status, s.summary])));
    assert.deepEqual(contain.inputs, { namespace, pod });
    assert.deepEqual(contain.steps.map((s) => [s.id, s.status]), [
      ['evidence', 'succeeded'],
      ['quarantine', 'succeeded'],
      ['mark_contained', 'succeeded'],
      ['notify', 'skipped'],
    ]);
    const target = await admin.core.readNamespacedPod({ namespace, name: pod });
    assert.equal(target.metadata?.labels?.[QUARANTINE_LABEL], target.metadata?.uid);
    assert.equal(target.metadata?.labels?.app, 'shop', 'not detached: the pod keeps its labels');
    assert.equal((await deployment()).spec?.replicas, 0);
    const incident = await get<Incident>(`/v1/incidents/${encodeURIComponent(incidentId)}`);
    assert.equal(incident.status, 'contained');
    assert.ok(incident.tags.includes('contained-by-bulwark') && incident.tags.includes('miner-scaled-down'), `tags: ${incident.tags.join(', ')}`);
    // No other bundled playbook applies (revoke-service-account is for users, notify-low-severity is disabled).
    assert.deepEqual((await get<{ items: Run[] }>(`/v1/runs?incident_id=${encodeURIComponent(incidentId)}`)).items.map((r) => r.playbook).sort(), [
      'contain-compromised-pod',
      'respond-to-crypto-miner',
    ]);
  });

  it('the same event again, and a repeat with a new id, start no second run: the run id is per playbook and incident', async () => {
    assert.deepEqual(await postFalco(first), { accepted: 1, created: 0, duplicates: 1, rejected: 0 });
    assert.deepEqual(await postFalco(falcoEvent(randomUUID())), { accepted: 1, created: 1, duplicates: 0, rejected: 0 });
    // The repeat is folded into the first alert (same rule and pod), whose notice reaches the responder again.
    const alert = await until('the repeat was folded into the alert', async () => {
      const found = (await h.deps.cases.get<Alert>('alerts', run.trigger.alert_id))!.record;
      return found.count === 2 ? found : null;
    });
    assert.equal(alert.incident_id, incidentId);
    await new Promise((r) => setTimeout(r, 500)); // the notice's job, had it started anything
    const incident = (await h.deps.cases.get<Incident>('incidents', incidentId))!.record;
    assert.deepEqual(await h.responder!.engine.trigger(alert, incident), [], 'both playbooks match again, and both runs exist');
    for (const playbook of ['respond-to-crypto-miner', 'contain-compromised-pod']) {
      const runs = await runsOf(playbook, incidentId);
      assert.equal(runs.length, 1, `${playbook}: ${runs.map((r) => r.id).join(', ')}`);
    }
    const again = (await runsOf('respond-to-crypto-miner', incidentId))[0]!;
    assert.equal(again.id, run.id);
    assert.equal(again.status, 'succeeded');
    assert.equal((await deployment()).spec?.replicas, 0);
  });

  it('undo (respond scope) scales the Deployment back to 3 and marks the run undone; the quarantine stays', async () => {
    const refused = await h.fetch(`/v1/runs/${run.id}/undo`, { method: 'POST', token: h.tokens.read, body: '{}' });
    assert.equal(refused.status, 403, 'reading is not responding');
    const res = await h.fetch(`/v1/runs/${run.id}/undo`, { method: 'POST', token: h.tokens.respond, headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 202, await res.clone().text());
    assert.equal(((await res.json()) as Run).status, 'undoing');

    const undone = await until('the run is undone', async () => {
      const found = await get<Run>(`/v1/runs/${run.id}`);
      return found.status === 'undone' ? found : null;
    });
    assert.equal(undone.error, null);
    assert.deepEqual(undone.steps.map((s) => [s.id, s.status]), [
      ['scale_down', 'undone'],
      ['record', 'undone'],
    ]);
    assert.equal(undone.steps[0]!.undo_summary, `restored deployments/${namespace}/shop/scale to 3`);
    const restored = await deployment();
    assert.equal(restored.spec?.replicas, 3);
    assert.equal(restored.metadata?.annotations?.[ACTION_KEY_ANNOTATION], undefined, 'the idempotency record is cleared');
    assert.equal(restored.metadata?.annotations?.['bulwark.io/previous-replicas'], undefined);

    // Undo is audited per step (on behalf of the respond token) and on the timeline, last step first.
    const audit = await h.deps.cases.query<AuditRecord & { on_behalf_of: string }>('audit', { filter: { run_id: run.id, result: 'undone' }, size: 10 });
    assert.deepEqual(audit.items.map(({ record: r }) => [r.step_id, r.action, r.on_behalf_of]).sort(), [
      ['record', 'undo.incident.update', 'test-respond'],
      ['scale_down', 'undo.k8s.scaleWorkload', 'test-respond'],
    ]);
    const incident = await get<Incident>(`/v1/incidents/${encodeURIComponent(incidentId)}`);
    const undoEntries = incident.timeline.filter((e) => e.kind === 'action' && e.ref.startsWith(`${run.id}/`) && e.summary.includes(': undo '));
    assert.deepEqual(undoEntries.map((e) => e.ref), [`${run.id}/record`, `${run.id}/scale_down`]);
    assert.equal(undoEntries[1]!.summary, `respond-to-crypto-miner: undo k8s.scaleWorkload: restored deployments/${namespace}/shop/scale to 3`);
    assert.ok(!incident.tags.includes('miner-scaled-down'), `tags: ${incident.tags.join(', ')}`);
    // The other run is not undone: the pod stays quarantined and the incident contained. (Its tag too — unless the two
    // incident.update steps overlapped: incident.update's undo removes every tag that appeared between its before and
    // after reads, a known race reported to the lead; the runs' record and mark_contained steps start milliseconds apart.)
    assert.equal(incident.status, 'contained');
    const lostToRace = (run.steps[1]!.undo.tags.remove as string[]).includes('contained-by-bulwark');
    assert.equal(incident.tags.includes('contained-by-bulwark'), !lostToRace, `tags: ${incident.tags.join(', ')}`);
    const target = await admin.core.readNamespacedPod({ namespace, name: pod });
    assert.equal(target.metadata?.labels?.[QUARANTINE_LABEL], target.metadata?.uid);
    assert.equal((await runsOf('contain-compromised-pod', incidentId))[0]!.status, 'succeeded');

    const twice = await h.fetch(`/v1/runs/${run.id}/undo`, { method: 'POST', token: h.tokens.respond, body: '{}' });
    assert.equal(twice.status, 409, 'already undone');
  });
});
