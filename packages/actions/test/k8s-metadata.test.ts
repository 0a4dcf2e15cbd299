// services: k8s
/**
 * k8s.label and k8s.annotate on the real API server of test/services, as the responder identity: exactly the keys
 * asked for change on the right object, a second run changes nothing, undo restores every touched key (and a second
 * undo is harmless), a dry run applies nothing; protected namespaces and invalid keys/values are refused by field.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { annotate, label, type KubeClients } from '../src/index.js';
import { applyResponderRole, deploymentBody, testClients } from './helpers.js';

describe('k8s.label and k8s.annotate on a real API server', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  const namespace = `md-${randomBytes(3).toString('hex')}`;
  const node = `md-node-${randomBytes(3).toString('hex')}`;

  before(async () => {
    ({ admin, responder } = testClients());
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { team: 'pay' } } } });
    for (const name of ['target', 'other']) {
      await admin.core.createNamespacedPod({
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: { app: 'web', tier: 'front' }, annotations: { owner: 'alice' } },
          spec: { containers: [{ name: 'app', image: 'nginx' }] },
        },
      });
    }
    await admin.apps.createNamespacedDeployment({ namespace, body: deploymentBody('api', 1, { annotations: { 'example.com/ticket': 'T-1' } }) });
    await admin.core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { zone: 'a' } } } });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
    await admin?.core.deleteNode({ name: node }).catch(() => {});
  });

  const podMeta = async (name: string) => {
    const m = (await admin.core.readNamespacedPod({ namespace, name })).metadata!;
    return { labels: m.labels ?? {}, annotations: m.annotations ?? {}, rv: m.resourceVersion };
  };
  const strip = <T extends { rv?: unknown }>(m: T): Omit<T, 'rv'> => {
    const { rv: _rv, ...rest } = m;
    return rest;
  };

  it('label on a pod: dry run applies nothing; sets and removes exactly those labels; again changes nothing; undo restores', async () => {
    const original = await podMeta('target');
    const other = await podMeta('other');
    const input = { kind: 'Pod' as const, namespace, name: 'target', set: { 'security.bulwark.io/compromised': 'true', app: 'web-x' }, remove: ['tier', 'absent'] };

    const dry = await label.run({ kube: responder, dryRun: true }, input);
    assert.equal(dry.changed, false);
    assert.equal(dry.undo, null);
    assert.deepEqual(dry.plan, [
      { kind: 'patch', target: `pods/${namespace}/target`, detail: { metadata: { labels: { 'security.bulwark.io/compromised': 'true', app: 'web-x', tier: null } } } },
    ]);
    assert.deepEqual(await podMeta('target'), original);

    const ctx = { kube: responder };
    const first = await label.run(ctx, input);
    assert.equal(first.changed, true);
    assert.deepEqual(first.undo, { kind: 'Pod', namespace, name: 'target', previous: { 'security.bulwark.io/compromised': null, app: 'web', tier: 'front' } });
    const after1 = await podMeta('target');
    assert.deepEqual(after1.labels, { app: 'web-x', 'security.bulwark.io/compromised': 'true' });
    assert.deepEqual(after1.annotations, original.annotations, 'annotations untouched');
    assert.deepEqual(await podMeta('other'), other, 'the other pod untouched');

    const second = await label.run(ctx, input);
    assert.equal(second.changed, false);
    assert.equal(second.undo, null);
    assert.equal((await podMeta('target')).rv, after1.rv, 'not even written');

    assert.equal((await label.undo(ctx, first.undo!)).changed, true);
    assert.deepEqual(strip(await podMeta('target')), strip(original));
    const rv = (await podMeta('target')).rv;
    assert.equal((await label.undo(ctx, first.undo!)).changed, false, 'a second undo is harmless');
    assert.equal((await podMeta('target')).rv, rv);
  });

  it('annotate on a Deployment: exactly those annotations; again changes nothing; undo restores', async () => {
    const deployment = async () => admin.apps.readNamespacedDeployment({ namespace, name: 'api' });
    const read = async () => (await deployment()).metadata!;
    const template = JSON.stringify((await deployment()).spec?.template);
    const original = await read();
    const input = { kind: 'Deployment' as const, namespace, name: 'api', set: { 'bulwark.io/incident': 'inc-42', note: 'free text: any value, even spaces!' }, remove: ['example.com/ticket'] };
    const ctx = { kube: responder };
    const first = await annotate.run(ctx, input);
    assert.equal(first.changed, true);
    const after1 = await read();
    const { 'example.com/ticket': _t, ...rest } = original.annotations ?? {};
    assert.deepEqual(after1.annotations, { ...rest, 'bulwark.io/incident': 'inc-42', note: 'free text: any value, even spaces!' });
    assert.deepEqual(after1.labels, original.labels);
    assert.equal(JSON.stringify((await deployment()).spec?.template), template, 'metadata only: the pod template (a rollout) is untouched');
    assert.equal((await annotate.run(ctx, input)).changed, false);
    assert.equal((await annotate.undo(ctx, first.undo!)).changed, true);
    assert.deepEqual((await read()).annotations, original.annotations);
    assert.equal((await annotate.undo(ctx, first.undo!)).changed, false);
  });

  it('label on a Node and a Namespace (cluster-scoped); undo restores', async () => {
    const ctx = { kube: responder };
    const n = await label.run(ctx, { kind: 'Node', name: node, set: { 'bulwark.io/suspect': 'true' }, remove: ['zone'] });
    assert.equal(n.changed, true);
    assert.deepEqual((await admin.core.readNode({ name: node })).metadata?.labels, { 'bulwark.io/suspect': 'true' });
    await label.undo(ctx, n.undo!);
    assert.deepEqual((await admin.core.readNode({ name: node })).metadata?.labels, { zone: 'a' });

    const nsLabels = async () => (await admin.core.readNamespace({ name: namespace })).metadata?.labels;
    const original = await nsLabels();
    const s = await label.run(ctx, { kind: 'Namespace', name: namespace, set: { 'bulwark.io/incident': 'inc-7' } });
    assert.deepEqual(await nsLabels(), { ...original, 'bulwark.io/incident': 'inc-7' });
    await label.undo(ctx, s.undo!);
    assert.deepEqual(await nsLabels(), original);
  });

  it('refuses protected namespaces (also as a Namespace target) and invalid parameters, naming the field', async () => {
    const ctx = { kube: responder };
    await assert.rejects(label.run(ctx, { kind: 'Pod', namespace: 'kube-system', name: 'x', set: { a: 'b' } }), /protected/);
    await assert.rejects(annotate.run(ctx, { kind: 'Namespace', name: 'bulwark', set: { a: 'b' } }), /protected/);
    await assert.rejects(label.run(ctx, { kind: 'Pod', namespace, name: 'target', set: { app: 'not a valid value!' } }), /set: label 'app' has an invalid value/);
    await assert.rejects(label.run(ctx, { kind: 'Pod', namespace, name: 'target', set: { app: 'x'.repeat(64) } }), /at most 63 characters/);
    await assert.rejects(label.run(ctx, { kind: 'Pod', namespace, name: 'target', set: { 'a/b/c': 'x' } }), /set: label key 'a\/b\/c' is invalid/);
    await assert.rejects(label.run(ctx, { kind: 'Pod', namespace, name: 'target', set: { 'Bad_Prefix.io/x': 'x' } }), /prefix must be a DNS subdomain/);
    await assert.rejects(annotate.run(ctx, { kind: 'Pod', namespace, name: 'target', remove: ['-bad'] }), /remove: annotation key '-bad' is invalid/);
    await assert.rejects(label.run(ctx, { kind: 'Pod', name: 'target', set: { a: 'b' } }), /namespace is required for a Pod/);
    await assert.rejects(label.run(ctx, { kind: 'Node', namespace, name: node, set: { a: 'b' } }), /a Node has no namespace/);
    await assert.rejects(label.run(ctx, { kind: 'Pod', namespace, name: 'target' }), /set or remove must name at least one label/);
    await assert.rejects(label.run(ctx, { kind: 'Secret', namespace, name: 'x', set: { a: 'b' } } as never), /kind/);
    await assert.rejects(label.run(ctx, { kind: 'Pod', namespace, name: 'missing', set: { a: 'b' } }), /does not exist/);
    assert.deepEqual((await podMeta('target')).labels, { app: 'web', tier: 'front' }, 'nothing was touched');
  });
});
