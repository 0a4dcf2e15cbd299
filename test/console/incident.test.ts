// services: k8s process chromium
/**
 * The console on a real breach, in real Chromium against the real `npm start` process that holds the test
 * kube-apiserver's audit webhook (as test/e2e/npm-start-containment.test.ts starts it) and acts on that API server as
 * the responder identity. The attacker's real API calls (a privileged pod, an exec into it, a secrets list, a binding
 * to cluster-admin) are audited into Bulwark; the analyst watching the alerts table sees the alert arrive by itself,
 * the incident page lays out the audit evidence, the alert and the quarantine in time order, and a waiting
 * scale-to-zero is approved by a second person in the console and undone by the first — each outcome confirmed by the
 * API and on the API server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import type { Browser } from 'playwright-core';
import { QUARANTINE_LABEL, type KubeClients } from '@bulwark/actions';
import { ATTACKER, bindToClusterAdmin, createPrivilegedPod, kubeConfigFor, kubeEnv, postExec } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { launchChromium, openConsole, type ConsoleTab } from './browser.js';
import { startConsoleServer, type ConsoleServer } from './console-server.js';
import { eventually, itemTimes, markNoReload, signIn, stillNoReload, ui } from './console-ui.js';
import { createWorkload, replicasOf } from './workload.js';

/** rules/correlations/multi_stage_breach.yml */
const MULTI_STAGE = '4aa803c5-0e2f-4d2d-9bdd-9b1c4faf63ba';

type Alert = { id: string; rule: { id: string }; incident_id: string | null; entity: { value: string }; annotations?: Record<string, string> };
type Run = { id: string; status: string; inputs: Record<string, unknown>; steps: Array<{ id: string; status: string; approval: { decided_by: string | null } | null }> };

describe('console on a real breach: live alerts, the incident timeline, approval by a second person and undo', () => {
  const ns = `console-breach-${randomBytes(3).toString('hex')}`;
  const pod = `evil-${randomBytes(3).toString('hex')}`;
  let server: ConsoleServer;
  let browser: Browser;
  let admin: KubeClients;
  let responder: ConsoleTab;
  let incidentId = '';
  let breachAlert: Alert | undefined;

  const get = <T>(path: string) => server.p.get<T>(path, server.people.reader.token);
  const attackerAlerts = async () => (await get<{ items: Alert[] }>('/v1/alerts?size=1000')).items.filter((a) => a.entity.value === ATTACKER);

  before(async () => {
    browser = await launchChromium(); // first: a missing Chromium fails at once, saying how to get it
    ({ admin } = await testKube(ns));
    await admin.core.createNamespacedPod({ namespace: ns, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bystander', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } });
    server = await startConsoleServer({ webhook: true, kube: true });
    responder = await openConsole(browser, server.base, 'incident-responder');
    await signIn(responder, server.people.responder.token, server.people.responder.name);
  });
  after(async () => {
    await responder?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
    await admin?.rbac.deleteClusterRoleBinding({ name: `${pod}-admin` }).catch(() => {});
  });

  it("the attacker's real API calls on the test kube-apiserver appear as an alert in the open alerts table within seconds, without a reload", async () => {
    const { page } = responder;
    await responder.visit('/console/alerts', 'alerts-before');
    await ui.alertsGrid(page).waitFor({ state: 'visible', timeout: 15_000 });
    await markNoReload(page);

    const attacker = kubeConfigFor(kubeEnv('KUBE_ATTACKER_TOKEN'));
    await createPrivilegedPod(attacker, ns, pod);
    assert.equal(await postExec(kubeEnv('KUBE_ATTACKER_TOKEN'), ns, pod), 400, 'the exec is authorized and audited (no kubelet to run it)');
    await attacker.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: ns });
    await bindToClusterAdmin(attacker, `${pod}-admin`);
    const attackedAt = Date.now();

    // The page, left alone, shows the breach alert: its row ids are polled, the page is never reloaded.
    const shown = await eventually('the multi-stage breach alert in the alerts table', async () => {
      const ids = new Set(await ui.alertRows(page).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alert-id'))));
      if (ids.size === 0) return null;
      const breach = (await attackerAlerts()).find((a) => a.rule.id === MULTI_STAGE && a.annotations?.pod === `${ns}/${pod}`);
      return breach && ids.has(breach.id) ? breach : null;
    }, 30_000, 250);
    const seconds = (Date.now() - attackedAt) / 1000;
    assert.ok(await stillNoReload(page), 'the row arrived by the page refreshing itself, not by a reload');
    assert.ok(seconds < 30, `shown ${seconds.toFixed(1)} s after the last attacker call`);
    const row = page.locator(`[data-testid="alert-row"][data-alert-id="${shown.id}"]`);
    assert.match(await row.innerText(), /critical/i, 'the row shows the severity');
    await responder.shot('alerts-live');
    breachAlert = shown;
    incidentId = await eventually('the breach alert joins an incident', async () => (await get<Alert>(`/v1/alerts/${shown.id}`)).incident_id);
    console.log(`# breach alert on screen ${seconds.toFixed(1)} s after the attacker's last call`);
  });

  it('the incident page timeline shows the audit evidence, the alert and the quarantine action in time order', async () => {
    assert.ok(incidentId && breachAlert, 'needs the incident of the test above');
    // The responder contains the pod by itself (trusted audit evidence): wait for the run and the label.
    await eventually('contain-compromised-pod succeeded', async () =>
      (await get<{ items: Run[] }>('/v1/runs?playbook=contain-compromised-pod&size=50')).items.find((r) => r.inputs.pod === pod && r.status === 'succeeded'), 45_000);
    const target = await admin.core.readNamespacedPod({ namespace: ns, name: pod });
    assert.ok(target.metadata?.labels?.[QUARANTINE_LABEL], 'the pod is quarantined on the API server');

    const { page } = responder;
    const incident = await get<{ title: string; status: string }>(`/v1/incidents/${incidentId}`);
    await responder.visit(`/console/incidents/${incidentId}`, 'incident');
    await page.getByRole('heading', { name: incident.title }).first().waitFor({ timeout: 15_000 });
    assert.match(await ui.incidentStatus(page).innerText(), new RegExp(incident.status.replace('_', '.'), 'i'));
    await ui.timeline(page).waitFor({ state: 'visible', timeout: 15_000 });
    const actions = ui.timelineItems(ui.lane(page, 'actions'));
    await eventually('the quarantine action on the timeline', async () => (await actions.count()) > 0, 15_000);
    await ui.timeline(page).scrollIntoViewIfNeeded();
    await responder.shot('incident-timeline');

    const audit = (await itemTimes(ui.timelineItems(ui.lane(page, 'k8s-audit')))).filter((i) => i.kind === 'evidence' || i.kind === 'event');
    const alerts = (await itemTimes(ui.timelineItems(ui.lane(page, 'alerts')))).filter((i) => i.kind === 'alert');
    const acted = (await itemTimes(actions)).filter((i) => i.kind === 'action');
    assert.ok(audit.length >= 3, `the attacker's audit events: ${JSON.stringify(audit)}`);
    assert.ok(alerts.length >= 4, `the three stage alerts and the breach: ${JSON.stringify(alerts)}`);
    assert.ok(acted.length >= 1, JSON.stringify(acted));
    for (const [lane, items] of Object.entries({ audit, alerts, acted })) {
      const times = items.map((i) => Date.parse(i.at));
      assert.ok(times.every((t) => Number.isFinite(t)), `${lane}: every item has a time`);
      assert.deepEqual(times, [...times].sort((a, b) => a - b), `${lane}: items in time order`);
    }
    // Cause before effect: the evidence comes first, the alerts it raised next, the quarantine after both.
    const evidence = audit.filter((i) => i.kind === 'evidence').map((i) => Date.parse(i.at));
    assert.ok(evidence.length >= 3, `the breach's evidence events are marked as evidence: ${JSON.stringify(audit)}`);
    const firstAlert = Math.min(...alerts.map((i) => Date.parse(i.at)));
    const quarantine = Math.min(...acted.map((i) => Date.parse(i.at)));
    assert.ok(Math.min(...evidence) <= firstAlert, 'the first audit evidence is no later than the first alert');
    assert.ok(Math.max(...evidence) <= quarantine, 'every piece of evidence precedes the quarantine');
    const before = alerts.filter((i) => Date.parse(i.at) <= quarantine);
    assert.ok(before.length >= 4, `the stage alerts and the breach precede the quarantine: ${JSON.stringify({ alerts, acted })}`);
  });

  it('a step waiting for approval is approved in the console by a second person — the one who started it cannot — then undone; the API and the Deployment confirm each', async () => {
    const minerPod = await createWorkload(admin, ns, 'miner-shop', 3);
    const started = await server.p.fetch('/v1/playbooks/respond-to-crypto-miner/run', {
      method: 'POST',
      token: server.people.responder.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { namespace: ns, pod: minerPod } }),
    });
    assert.equal(started.status, 202, await started.clone().text());
    const runId = ((await started.json()) as Run).id;
    const run = () => get<Run>(`/v1/runs/${runId}`);
    await eventually('the scale-to-zero waits for a person', async () => (await run()).status === 'waiting_approval', 30_000);

    // The person who started it: no Approve offered (respond does not approve), or refused if it were.
    const { page } = responder;
    await responder.visit(`/console/runs/${runId}`, 'run-waiting-requester');
    await ui.runStatus(page).waitFor({ state: 'visible', timeout: 15_000 });
    await ui.plan(page).waitFor({ state: 'visible' });
    assert.match(await ui.plan(page).innerText(), new RegExp(minerPod), 'the plan names the pod');
    if ((await ui.runButton(page, 'Approve').count()) > 0) {
      if (await ui.reason(page).count()) await ui.reason(page).fill('approving my own run');
      await ui.runButton(page, 'Approve').click();
      await page.getByRole('alert').first().waitFor({ timeout: 10_000 });
      await responder.shot('run-self-approval-refused');
    }
    assert.equal((await run()).status, 'waiting_approval', 'the requester did not approve');
    assert.equal(await replicasOf(admin, ns, 'miner-shop'), 3);

    // The second person approves with a reason.
    const approver = await openConsole(browser, server.base, 'incident-approver');
    try {
      await signIn(approver, server.people.approver.token, server.people.approver.name);
      await approver.visit(`/console/runs/${runId}`, 'run-waiting-approver');
      await ui.runButton(approver.page, 'Approve').waitFor({ state: 'visible', timeout: 15_000 });
      await ui.reason(approver.page).fill('miner confirmed in the process list');
      await ui.runButton(approver.page, 'Approve').click();
      await ui.runStatus(approver.page).filter({ hasText: /succeeded/i }).waitFor({ timeout: 30_000 });
      await approver.shot('run-approved');
    } finally {
      await approver.close();
    }
    const approved = await run();
    assert.equal(approved.status, 'succeeded');
    assert.equal(approved.steps[0]!.approval?.decided_by, server.people.approver.name);
    assert.equal(await replicasOf(admin, ns, 'miner-shop'), 0, 'scaled to zero on the API server');

    // The first person undoes it from the run page.
    await responder.visit(`/console/runs/${runId}`, 'run-succeeded');
    await ui.runButton(page, 'Undo').waitFor({ state: 'visible', timeout: 15_000 });
    if (await ui.reason(page).count()) await ui.reason(page).fill('false positive: a benchmark job');
    await ui.runButton(page, 'Undo').click();
    await ui.runStatus(page).filter({ hasText: /undone/i }).waitFor({ timeout: 30_000 });
    await responder.shot('run-undone');
    assert.equal((await run()).status, 'undone');
    assert.equal(await replicasOf(admin, ns, 'miner-shop'), 3, 'the replicas are back');

    const audit = (await get<{ items: Array<Record<string, any>> }>(`/v1/audit?run_id=${runId}&size=100`)).items;
    const decision = audit.find((a) => a.action === 'run.approve' && a.result === 'approved');
    assert.equal(decision?.actor, server.people.approver.name, JSON.stringify(audit));
    assert.equal(decision?.requested_by, server.people.responder.name);
  });
});
