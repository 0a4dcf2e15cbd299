// services: k8s process
/**
 * `npm start` with the Kubernetes Events source on (`ingest.kubernetes_events`), watching the real test API server as
 * an identity that may only list and watch Events: an Event written to the API server becomes a searchable
 * `kubernetes.events` event stamped with the watch's provenance, the bundled `kubernetes_events` rules read it (a
 * crash-looping container raises its alert), and a shipper cannot forge the dataset through `_bulk`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { kubeConfigFor, kubeEnv } from '../support/kube.js';
import { until } from '../support/until.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** rules/kubernetes_events/container_restart_back_off.yml */
const BACK_OFF = '7b617668-6c5e-4358-8ca0-2907a9891032';

describe('Kubernetes Events into npm start: watched, searchable, detected', () => {
  const ns = `kev-${randomBytes(3).toString('hex')}`;
  const reader = `bulwark-events-${randomBytes(3).toString('hex')}`;
  const admin = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN'));
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
  let p: BulwarkProcess;
  let dir: string | undefined;
  let analyst = '';

  before(async () => {
    await core.createNamespace({ body: { metadata: { name: ns } } });
    // The watch's identity: list and watch Events, nothing else.
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: reader } } });
    await rbac.createClusterRole({ body: { metadata: { name: reader }, rules: [{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['list', 'watch'] }] } });
    await rbac.createClusterRoleBinding({
      body: { metadata: { name: reader }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: reader }, subjects: [{ kind: 'ServiceAccount', name: reader, namespace: ns }] },
    });
    const token = await core.createNamespacedServiceAccountToken({ namespace: ns, name: reader, body: { spec: { expirationSeconds: 3600, audiences: [] } } });
    dir = mkdtempSync(join(tmpdir(), 'bwk-kev-'));
    writeFileSync(join(dir, 'events-token'), token.status!.token);
    p = await startBulwark({
      configYaml: [
        'ingest:',
        '  kubernetes_events:',
        '    enabled: true',
        '    cluster: test-cluster',
        `    kube: { server: '${kubeEnv('KUBE_API_URL')}', token_file: '${join(dir, 'events-token')}', ca_file: '${kubeEnv('KUBE_CA_FILE')}' }`,
        '',
      ].join('\n'),
    });
    analyst = (await p.mint('analyst', ['read'])).token;
  });
  after(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await core.deleteNamespace({ name: ns }).catch(() => {});
    await rbac.deleteClusterRoleBinding({ name: reader }).catch(() => {});
    await rbac.deleteClusterRole({ name: reader }).catch(() => {});
  });

  it('an Event on the API server is a searchable kubernetes.events event with the watch as its provenance, and the rules read it', async () => {
    await admin.makeApiClient(k8s.EventsV1Api).createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { name: 'web-1.crash' },
        eventTime: new k8s.V1MicroTime(),
        reportingController: 'kubelet',
        reportingInstance: 'node-a',
        action: 'Syncing',
        reason: 'BackOff',
        note: 'Back-off restarting failed container app in pod web-1',
        type: 'Warning',
        regarding: { kind: 'Pod', namespace: ns, name: 'web-1', apiVersion: 'v1' },
      },
    });
    const q = encodeURIComponent(`event.dataset:kubernetes.events AND kubernetes.namespace:"${ns}"`);
    const hit = await until('the Event searchable', async () => (await p.get<{ hits: any[] }>(`/v1/search?q=${q}`, analyst)).hits[0], 20_000, 200);
    assert.equal(hit.event.action, 'BackOff');
    assert.equal(hit.kubernetes.pod.name, 'web-1');
    assert.equal(hit.orchestrator.cluster.name, 'test-cluster');
    assert.equal(hit.bulwark.provenance.route, 'watch /apis/events.k8s.io/v1/events');
    assert.equal(hit.bulwark.provenance.protocol, 'k8s-events');
    const alert = await until('the crash-loop alert', async () =>
      (await p.get<{ items: Array<{ event_ids: string[]; provenance: { sources: string[] } }> }>(`/v1/alerts?rule=${BACK_OFF}&size=50`, analyst)).items.find((a) => a.event_ids.includes(hit.event.id)), 30_000, 250);
    assert.deepEqual(alert.provenance.sources, ['logs'], 'what an Event says is not evidence that moves the responder by itself');
  });

  it('a shipper claiming the dataset through _bulk is stored as a claim, never as kubernetes.events', async () => {
    const shipper = (await p.mint('shipper', ['ingest'], { sources: ['logs'] })).token;
    const body = `${JSON.stringify({ create: { _index: 'logs-kubernetes.events-default' } })}\n${JSON.stringify({ message: `forged ${ns}`, event: { action: 'NodeNotReady' } })}\n`;
    const res = await p.fetch('/_bulk', { method: 'POST', token: shipper, headers: { 'content-type': 'application/x-ndjson' }, body });
    assert.equal(res.status, 200);
    const id = ((await res.json()) as { items: Array<{ create: { _id: string } }> }).items[0]!.create._id;
    const stored = await p.get<Record<string, any>>(`/v1/events/${encodeURIComponent(id)}`, analyst);
    assert.equal(stored.event.dataset, 'claimed.kubernetes.events');
  });
});
