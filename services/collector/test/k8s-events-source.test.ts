// services: k8s
/**
 * The Kubernetes Events source against the real test API server and the real embedded store: a start from a position
 * the API server may no longer have (410 Gone → a relist) stores each Event once; the watch then sees new Events and each
 * new observation of one (a series count going up); a restart relists and stores nothing twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import pino from 'pino';
import { BlockLogStore, parseQuery } from '@bulwark/store';
import { KubernetesEventsSource } from '../src/k8s-events-source.js';

function kubeEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run with \`node test/run.mjs <file>\` (it starts test/services/k8s.sh)`);
  return value;
}

function kubeConfigFor(token: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: kubeEnv('KUBE_API_URL'), caFile: kubeEnv('KUBE_CA_FILE'), skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'test', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

/** The first truthy value of `probe`, polled; fails naming `what` after `ms`. */
async function until<T>(what: string, probe: () => Promise<T | null | false | undefined>, ms: number, every: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, every));
  }
}

describe('Kubernetes Events source on the real API server', () => {
  const ns = `events-${randomBytes(3).toString('hex')}`;
  const admin = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN'));
  const events = admin.makeApiClient(k8s.EventsV1Api);
  const core = admin.makeApiClient(k8s.CoreV1Api);
  const dir = mkdtempSync(join(tmpdir(), 'bwk-k8s-events-'));
  const store = new BlockLogStore({ path: join(dir, 'events.db') });
  const logger = pino({ level: 'silent' });
  let source: KubernetesEventsSource | undefined;

  const emit = (name: string, reason: string, note: string) =>
    events.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { name },
        eventTime: new k8s.V1MicroTime(),
        reportingController: 'bulwark.test/events',
        reportingInstance: 'test',
        action: 'Testing',
        reason,
        note,
        type: 'Warning',
        regarding: { kind: 'Pod', namespace: ns, name: 'web-1', uid: 'c0ffee00-0000-4000-8000-000000000001', apiVersion: 'v1' },
      },
    });
  const stored = async (q: string) => (await store.search({ query: parseQuery(`event.dataset:kubernetes.events AND kubernetes.namespace:"${ns}" AND ${q}`), size: 100 })).hits;

  before(async () => {
    await store.init();
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await emit('before-1', 'BackOff', 'Back-off restarting failed container app in pod web-1');
    await emit('before-2', 'Killing', 'Stopping container app');
  });
  after(async () => {
    await source?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    await core.deleteNamespace({ name: ns }).catch(() => {});
  });

  // A watch from resourceVersion 1: an API server that has run a while answers 410 Gone (its watch cache starts later)
  // and the source relists; a fresh one may still serve it, and the watch replays. Either way each Event once.
  it('a start from a position before the API server\'s window (410 Gone, or a replay): every Event stored once', async () => {
    source = new KubernetesEventsSource({ kubeConfig: admin, cluster: 'test', store, logger, startAt: '1', flushMs: 50 }).start();
    const hits = await until('both Events stored', async () => ((await stored('*')).length >= 2 ? stored('*') : null), 20_000, 200);
    assert.ok(source.stats.relists <= 1, `at most one relist (watches: ${source.stats.watches}, relists: ${source.stats.relists})`);
    assert.equal(hits.length, 2, 'each Event once');
    assert.deepEqual(hits.map((h) => (h as any).event.action).sort(), ['BackOff', 'Killing']);
    const backOff = hits.find((h) => (h as any).event.action === 'BackOff') as any;
    assert.equal(backOff.kubernetes.pod.name, 'web-1');
    assert.equal(backOff.log.level, 'warning');
    assert.equal(backOff.message, 'Back-off restarting failed container app in pod web-1');
    assert.equal(backOff.bulwark.provenance.route, 'watch /apis/events.k8s.io/v1/events');
    assert.equal(backOff.bulwark.provenance.source, 'logs');
    assert.equal(backOff.orchestrator.cluster.name, 'test');
  });

  it('the watch then sees a new Event and a new observation of an old one; each stored once', async () => {
    await emit('after-1', 'Evicted', 'The node was low on resource: memory.');
    await until('the new Event stored', async () => (await stored('event.action:Evicted')).length === 1, 20_000, 200);
    const current = await events.readNamespacedEvent({ namespace: ns, name: 'before-1' });
    await events.replaceNamespacedEvent({ namespace: ns, name: 'before-1', body: { ...current, series: { count: 2, lastObservedTime: new k8s.V1MicroTime() } } });
    const observations = await until('the second observation stored', async () => {
      const h = await stored('event.action:BackOff');
      return h.length === 2 ? h : null;
    }, 20_000, 200);
    assert.notEqual((observations[0] as any).event.id, (observations[1] as any).event.id, 'one event per observation');
  });

  it('a restart relists: nothing is stored twice', async () => {
    await source!.close();
    const total = (await stored('*')).length;
    source = new KubernetesEventsSource({ kubeConfig: admin, cluster: 'test', store, logger, flushMs: 50 }).start();
    await until('the relist done', async () => source!.stats.watches >= 1 && source!.stats.duplicates >= 3, 20_000, 200);
    assert.equal(source.stats.stored, 0, 'every listed Event was stored already');
    assert.equal((await stored('*')).length, total);
  });
});
