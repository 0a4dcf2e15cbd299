/**
 * The all-in-one composition root (what `npm start` runs), composed on a real embedded store: where the configuration
 * puts the correlator, dependencies handed out frozen and without ports a service does not use, one case service for
 * the whole process, and an alert it records reaching the in-process responder through the queue the root chose.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '@bulwark/config';
import { mintToken } from '@bulwark/http';
import { collectorDeps, createLifetime, openCore, type Core } from '@bulwark/runtime';
import { composeAllInOne, correlatorPlacement, type AllInOne } from '../src/index.js';

const PLAYBOOK = `
name: page-on-breach
description: a run that waits for a person, so the test sees it start and nothing acts
trigger: { rules: [root-test-breach] }
inputs:
  pod: { from: [alert.entity.value] }
steps:
  - id: call
    action: http.request
    with: { method: POST, url: 'http://127.0.0.1:1/{{ inputs.pod }}' }
    approval: { approvers: [approve] }
`;

describe('the all-in-one root', () => {
  it('puts the correlator where the configuration says: its own thread embedded, in-process with Redis, nowhere when off', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-root-place-'));
    try {
      assert.equal(correlatorPlacement(loadConfig({ BULWARK_DATA_DIR: dir })), 'thread');
      assert.equal(correlatorPlacement(loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_REDIS_URL: 'redis://127.0.0.1:1' })), 'in-process');
      assert.equal(correlatorPlacement(loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_CORRELATOR: 'false' })), 'none');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('composed on the embedded store', () => {
    let dir: string;
    let core: Core;
    let composed: AllInOne;
    let server: Server;
    let url: string;
    let reader: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'bwk-root-'));
      mkdirSync(join(dir, 'playbooks'));
      writeFileSync(join(dir, 'playbooks', 'page.yml'), PLAYBOOK);
      const config = loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_SQLITE_SYNCHRONOUS: 'NORMAL' });
      const logger = pino({ level: 'silent' });
      core = await openCore(config, logger, createLifetime(logger));
      const minted = mintToken('reader', ['read']);
      await core.tokens.put(minted.stored);
      reader = minted.secret;
      composed = await composeAllInOne(core, {
        correlator: 'in-process',
        pollIntervalMs: 50,
        responder: { playbooksDir: join(dir, 'playbooks') },
        kube: { server: null } as never,
      });
      server = composed.app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      await core?.lifetime.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('hands out frozen dependencies, and the collector no case port but where its ingest counters go', () => {
      assert.ok(Object.isFrozen(composed.deps));
      assert.throws(() => {
        (composed.deps as { bus: unknown }).bus = null;
      }, TypeError);
      const collector = collectorDeps(core, null, null);
      assert.ok(Object.isFrozen(collector));
      assert.deepEqual(Object.keys(collector).sort(), ['auth', 'bus', 'config', 'kubeEvents', 'logger', 'metrics', 'readiness', 'shutdown', 'sourceHealth', 'store']);
      assert.equal(composed.deps.sourceHealth, composed.deps.cases, 'the counters go to the case store the api reads them from');
      assert.equal(collector.kubeEvents, null, 'no Kubernetes Events watch unless ingest.kubernetes_events.enabled');
    });

    it('one case service serves the api, the correlator and the responder', () => {
      assert.ok(composed.responder && composed.embedded);
      assert.equal(composed.responder.cases, composed.deps.caseService);
      assert.equal(composed.deps.cases, composed.deps.caseService.store);
    });

    it('an alert recorded in the process reaches the in-process responder, which starts the run its playbook asks for', async () => {
      const now = new Date().toISOString();
      await composed.deps.caseService.recordAlert(
        {
          id: 'root-test-alert',
          rule: { id: 'root-test-breach', name: 'Root test breach', level: 'critical', tags: [] },
          severity: 'critical',
          group_key: 'shop/web-1',
          entity: { kind: 'workload', namespace: 'shop', value: 'web-1' },
          first_seen: now,
          last_seen: now,
          source: 'rule',
          provenance: { origin: 'rule', sources: ['falco'], received_at: now },
        },
        'correlator',
      );
      const deadline = Date.now() + 15_000;
      let runs: Array<{ playbook: string; status: string; trigger: { alert_id: string } }> = [];
      while (runs.length === 0) {
        assert.ok(Date.now() < deadline, 'the responder started a run for the alert');
        await new Promise((r) => setTimeout(r, 50));
        const res = await fetch(`${url}/v1/runs`, { headers: { authorization: `Bearer ${reader}` } });
        runs = ((await res.json()) as { items: typeof runs }).items;
      }
      assert.deepEqual(runs.map((r) => [r.playbook, r.trigger.alert_id]), [['page-on-breach', 'root-test-alert']]);
    });

    it('serves the in-process correlator’s counters on the status route', async () => {
      const res = await fetch(`${url}/v1/correlator/status`, { headers: { authorization: `Bearer ${reader}` } });
      assert.equal(res.status, 200);
      const status = (await res.json()) as { rules: number; batches: number };
      assert.ok(status.rules > 0);
      assert.equal(typeof status.batches, 'number');
    });
  });
});
