/**
 * Response in scale mode: collector and api (this process), a correlator process and responder processes
 * (`npm run start:responder`) on a real search engine (runs, audit) and BullMQ on a real Redis, acting on the
 * real API server as the responder identity. On OpenSearch all of it; on Elasticsearch the breach scenario and the
 * SIGKILL continuation from the engine's journal (the token test is about processes, not the engine: the TokenStore
 * contract runs on both engines in packages/store).
 * - The attack posted to the collector becomes a critical incident in the correlator process; the alert reaches the
 *   responders over BullMQ and exactly one run of `contain-compromised-pod` quarantines the pod.
 * - A responder killed with SIGKILL in the middle of a step: another responder process continues the run from the
 *   journal in the engine once the dead one's lease on the step runs out; completed steps are not repeated.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubeClients, type KubeClients } from '@bulwark/actions';
import { attack } from '../support/attack.js';
import { listeningPort } from '../support/process.js';
import { THREE_CALLS } from '../support/playbooks.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { startScaleDeployment, type ScaleDeployment } from '../support/scale-deployment.js';
import { OPENSEARCH, type SearchEngine } from '../support/search-engines.js';
import { applyResponderRole, kubeEnv } from '../support/kube.js';
import { serviceScript } from '../support/npm-script.js';

const root = fileURLToPath(new URL('../..', import.meta.url));


interface Responder {
  child: ChildProcess;
  url: string;
}

/** The suite on one engine; each engine has its own file so each gets its own time budget and runs beside the other. */
export function responderScaleSuite(engine: SearchEngine): void {
  describe(`the responder in scale mode (${engine.name}, BullMQ, responder processes)`, () => {
    let d: ScaleDeployment;
    let admin: KubeClients;
    let receiver: RecordingServer;
    let dir: string;
    const responders: Responder[] = [];
    const token = (): string => d.env.BULWARK_BOOTSTRAP_TOKEN!;

    const startResponder = async (): Promise<Responder> => {
      const data = mkdtempSync(join(dir, 'data-'));
      const script = serviceScript('responder');
      const child = spawn(script.command, script.args, {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...d.env, BULWARK_CONFIG: join(dir, 'config.yml'), BULWARK_DATA_DIR: data, BULWARK_PORT: '0', BULWARK_HOST: '127.0.0.1', BULWARK_BUS_LOCK_DURATION: '2s' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const { port } = await listeningPort(child, 60_000);
      const responder = { child, url: `http://127.0.0.1:${port}` };
      responders.push(responder);
      return responder;
    };
    const api = async <T>(r: Responder, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> => {
      const res = await fetch(`${r.url}${path}`, { ...init, headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
      return { status: res.status, body: (await res.json()) as T };
    };

    before(async () => {
      await applyResponderRole();
      const server = kubeEnv('KUBE_API_URL');
      const caFile = kubeEnv('KUBE_CA_FILE');
      admin = kubeClients({ server, caFile, token: kubeEnv('KUBE_ADMIN_TOKEN') });
      // The pod the attack execs into (test/support/attack.ts), fresh.
      await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } } }).catch(() => {});
      await admin.networking.deleteNamespacedNetworkPolicy({ namespace: 'payments', name: 'bulwark-quarantine-api-7f9c' }).catch(() => {});
      await admin.core.deleteNamespacedPod({ namespace: 'payments', name: 'api-7f9c', gracePeriodSeconds: 0 }).catch(() => {});
      for (let i = 0; i < 100; i++) {
        if ((await admin.core.readNamespacedPod({ namespace: 'payments', name: 'api-7f9c' }).catch(() => null)) === null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await admin.core.createNamespacedPod({ namespace: 'payments', body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api-7f9c', labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'nginx' }] } } });

      receiver = await startRecordingServer();
      dir = mkdtempSync(join(tmpdir(), 'bwk-rsp-scale-'));
      cpSync(join(root, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
      writeFileSync(join(dir, 'playbooks', 'three-calls.yml'), THREE_CALLS);
      writeFileSync(join(dir, 'token'), kubeEnv('KUBE_RESPONDER_TOKEN'));
      writeFileSync(
        join(dir, 'config.yml'),
        [
          'responder:',
          `  playbooks_dir: ${join(dir, 'playbooks')}`,
          `  kube: { server: '${server}', token_file: '${join(dir, 'token')}', ca_file: '${caFile}' }`,
          "  http: { allow_hosts: ['127.0.0.1'], allow_cidrs: ['127.0.0.0/8'] }",
          '',
        ].join('\n'),
      );
      d = await startScaleDeployment(1, {}, engine);
      await Promise.all([startResponder(), startResponder()]);
    });
    after(async () => {
      for (const r of responders) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
      await d?.close();
      await receiver?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
      await admin?.networking.deleteNamespacedNetworkPolicy({ namespace: 'payments', name: 'bulwark-quarantine-api-7f9c' }).catch(() => {});
      await admin?.core.deleteNamespacedPod({ namespace: 'payments', name: 'api-7f9c', gracePeriodSeconds: 0 }).catch(() => {});
    });

    type Run = { id: string; playbook: string; status: string; steps: Array<{ id: string; status: string; attempts: number }> };

    it('the attack through the collector ends in one run that quarantines the pod', async () => {
      const res = await d.h.fetch('/v1/ingest/k8s-audit', { method: 'POST', token: d.h.tokens.ingest, headers: { 'content-type': 'application/json' }, body: JSON.stringify(attack) });
      assert.equal(res.status, 200, await res.text());
      const deadline = Date.now() + 60_000;
      for (;;) {
        const policy = await admin.networking.readNamespacedNetworkPolicy({ namespace: 'payments', name: 'bulwark-quarantine-api-7f9c' }).catch(() => null);
        if (policy) break;
        assert.ok(Date.now() < deadline, 'the quarantine NetworkPolicy appeared');
        await new Promise((r) => setTimeout(r, 250));
      }
      let runs: Run[] = [];
      const until = Date.now() + 30_000;
      for (;;) {
        runs = (await api<{ items: Run[] }>(responders[1]!, '/v1/runs?playbook=contain-compromised-pod')).body.items;
        if (runs[0]?.status === 'succeeded') break;
        assert.ok(Date.now() < until, `the run finished: ${JSON.stringify(runs)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(runs.length, 1, 'one run for the incident, whichever responder took the alert');
      assert.deepEqual(runs[0]!.steps.map((s) => [s.id, s.status]), [['evidence', 'succeeded'], ['quarantine', 'succeeded'], ['mark_contained', 'succeeded'], ['notify', 'skipped']]);
      const pod = await admin.core.readNamespacedPod({ namespace: 'payments', name: 'api-7f9c' });
      assert.equal(pod.metadata?.labels?.['bulwark.io/quarantine'], pod.metadata?.uid);
    });

    if (engine === OPENSEARCH) it('a token minted through the api process is accepted by the responder processes (tokens live in the engine)', async () => {
      const minted = await d.h.fetch('/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'oncall', scopes: ['read', 'respond'] }) });
      assert.equal(minted.status, 201, await minted.clone().text());
      const { token: secret, id } = (await minted.json()) as { token: string; id: string };
      const asOncall = (r: Responder) => fetch(`${r.url}/v1/runs?size=1`, { headers: { authorization: `Bearer ${secret}` } });
      for (const r of responders) assert.equal((await asOncall(r)).status, 200);
      assert.equal((await d.h.fetch(`/v1/tokens/${id}`, { method: 'DELETE' })).status, 204);
      // Revocation reaches every process within the authenticator's cache (10 s): a process that never saw it refuses at once.
      const fresh = await startResponder();
      assert.equal((await asOncall(fresh)).status, 401);
      fresh.child.kill('SIGTERM');
      await new Promise((resolve) => fresh.child.once('exit', resolve));
      responders.splice(responders.indexOf(fresh), 1);
    });

    it('a responder killed with SIGKILL mid-step: another finishes the run without repeating completed steps', async () => {
      let slowCalls = 0;
      receiver.respond((req) => (req.path === '/slow' && ++slowCalls === 1 ? { delayMs: 60_000 } : { status: 200, body: { ok: true } }));
      const [a, b] = responders as [Responder, Responder];
      // Stop B, so A alone takes the run; B comes back once A is mid-step.
      b.child.kill('SIGTERM');
      await new Promise((resolve) => b.child.once('exit', resolve));
      const started = await api<Run>(a, '/v1/playbooks/three-calls/run', { method: 'POST', body: JSON.stringify({ inputs: { base: receiver.url } }) });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      await receiver.waitFor(2, 20_000);
      // Killed at once (the step's own 3 s timeout must not fire first), then another responder starts.
      a.child.kill('SIGKILL');
      const c = await startResponder();
      let run: Run;
      const deadline = Date.now() + 60_000;
      for (;;) {
        run = (await api<Run>(c, `/v1/runs/${started.body.id}`)).body;
        if (run.status === 'succeeded' || run.status === 'failed') break;
        assert.ok(Date.now() < deadline, `the run finished on the surviving responder: ${JSON.stringify(run)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(run.status, 'succeeded', JSON.stringify(run));
      const paths = receiver.requests.map((r) => r.path);
      assert.deepEqual(paths.filter((p) => p === '/first'), ['/first']);
      assert.deepEqual(paths.filter((p) => p === '/slow'), ['/slow', '/slow']);
      assert.deepEqual(paths.filter((p) => p === '/last'), ['/last']);
      const keys = receiver.requests.filter((r) => r.path === '/slow').map((r) => r.headers['idempotency-key']);
      assert.equal(keys[1], keys[0]);
      assert.deepEqual(run.steps.map((s) => [s.id, s.status, s.attempts]), [['first', 'succeeded', 1], ['slow', 'succeeded', 2], ['last', 'succeeded', 1]]);
    });
  });
}
