// services: k8s process chromium
/**
 * The console's session in real Chromium against the real `npm start` process: signing in exchanges a token for a
 * session cookie and the header names the person; a wrong token is refused on the page; signing out ends the session.
 * Then what the session must refuse, tried from the page's own JavaScript context (what a script on the page, or a
 * page of another site riding the cookie, could attempt): a state change without the CSRF token or with a wrong one,
 * from another origin, an approval by a read-only person (who is not offered the button either); and the strict
 * Content-Security-Policy: present on the console's responses, and an inline script does not run.
 *
 * Runs here are real: the responder acts on the test kube-apiserver, so the waiting step these tests refuse to
 * decide is a real scale-to-zero of a real Deployment, which must keep its replicas.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser } from 'playwright-core';
import type { KubeClients } from '@bulwark/actions';
import { testKube } from '../support/kube-clients.js';
import { launchChromium, openConsole, type ConsoleTab, type PageWindow } from './browser.js';
import { startConsoleServer, type ConsoleServer } from './console-server.js';
import { csrfToken, eventually, fetchFromPage, signIn, ui } from './console-ui.js';
import { createWorkload, replicasOf } from './workload.js';

type Run = { id: string; status: string; trigger: { actor: string } };

describe('console session in Chromium: sign-in, CSRF, scopes and Content-Security-Policy', () => {
  const ns = `console-session-${randomBytes(3).toString('hex')}`;
  let server: ConsoleServer;
  let browser: Browser;
  let admin: KubeClients;
  const tabs: ConsoleTab[] = [];
  const runs: Record<'csrf' | 'approval', string> = { csrf: '', approval: '' };

  const open = async (name: string) => {
    const tab = await openConsole(browser, server.base, `session-${name}`);
    tabs.push(tab);
    return tab;
  };
  const runStatus = async (id: string) => (await server.p.get<Run>(`/v1/runs/${id}`, server.people.reader.token)).status;

  /** The responder starts a scale-to-zero of a real workload: it always waits for a person's approval. */
  async function waitingRun(workload: string): Promise<string> {
    const pod = await createWorkload(admin, ns, workload, 2);
    const started = await server.p.fetch('/v1/playbooks/respond-to-crypto-miner/run', {
      method: 'POST',
      token: server.people.responder.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { namespace: ns, pod } }),
    });
    assert.equal(started.status, 202, await started.clone().text());
    const run = (await started.json()) as Run;
    await eventually(`run ${run.id} waits for approval`, async () => (await runStatus(run.id)) === 'waiting_approval', 30_000);
    return run.id;
  }

  before(async () => {
    browser = await launchChromium(); // first: a missing Chromium fails at once, saying how to get it
    ({ admin } = await testKube(ns));
    server = await startConsoleServer({ kube: true });
    runs.csrf = await waitingRun('csrf-target');
    runs.approval = await waitingRun('approval-target');
  });
  after(async () => {
    for (const tab of tabs) await tab.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
  });

  it('signs in with a token and the header shows the name; a wrong token shows the error; sign out ends the session', async () => {
    const tab = await open('signin');
    const { page } = tab;

    // A wrong token: refused on the page, nobody signed in, no session cookie.
    await tab.visit('/console/signin', 'signin-empty');
    await ui.tokenInput(page).fill(`bwk_${randomBytes(24).toString('hex')}`);
    await ui.signInButton(page).click();
    const error = page.getByRole('alert');
    await error.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await error.innerText(), /token|sign.?in|unauthori[sz]ed|invalid/i, 'the error says the token was not accepted');
    await tab.shot('signin-wrong-token');
    assert.equal(await ui.whoami(page).count(), 0, 'nobody is signed in');
    assert.equal((await tab.context.cookies()).filter((c) => c.name === 'bwk_session').length, 0, 'no session cookie for a wrong token');
    assert.equal((await fetchFromPage(page, '/v1/session')).status, 401);

    // The right token: the header names the person, the cookie is HttpOnly and SameSite=Strict.
    await signIn(tab, server.people.responder.token, server.people.responder.name);
    assert.equal((await ui.whoami(page).innerText()).includes(server.people.responder.name), true);
    await tab.shot('signed-in');
    const cookie = (await tab.context.cookies()).find((c) => c.name === 'bwk_session');
    assert.ok(cookie, 'the session cookie is set');
    assert.equal(cookie.httpOnly, true, 'HttpOnly: the page cannot read it');
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageWindow).document.cookie.includes('bwk_session')), false, 'invisible to the page');
    assert.equal((await fetchFromPage(page, '/v1/session')).body.name, server.people.responder.name);

    // A reload keeps the session (the page gets its CSRF token again from GET /v1/session).
    await page.reload({ waitUntil: 'networkidle' });
    await ui.whoami(page).filter({ hasText: server.people.responder.name }).waitFor({ timeout: 10_000 });

    await ui.signOutButton(page).click();
    await page.waitForURL(/\/console\/signin/, { timeout: 10_000 });
    await tab.shot('signed-out');
    assert.equal((await fetchFromPage(page, '/v1/session')).status, 401, 'the session is over on the server');
    // A console page now sends the person back to sign in.
    await page.goto(tab.url('/console/alerts'), { waitUntil: 'networkidle' });
    await page.waitForURL(/\/console\/signin/, { timeout: 10_000 });
    await tab.shot('alerts-after-sign-out');
  });

  it('a state change with the session cookie but no or a wrong X-CSRF-Token, or from another origin, is refused with 403 BWK_CSRF_INVALID and changes nothing', async () => {
    const tab = await open('csrf');
    const { page } = tab;
    await signIn(tab, server.people.responder.token, server.people.responder.name);
    await tab.visit(`/console/runs/${runs.csrf}`, 'run-waiting');
    const cancel = `/v1/runs/${runs.csrf}/cancel`;

    const probes: Array<Record<string, string>> = [{}, { 'x-csrf-token': 'not-the-token' }, { 'x-csrf-token': '' }];
    for (const headers of probes) {
      const res = await fetchFromPage(page, cancel, { method: 'POST', headers, body: { comment: 'csrf probe' } });
      assert.equal(res.status, 403, `${JSON.stringify(headers)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'BWK_CSRF_INVALID', JSON.stringify(res.body));
    }
    // Another origin with the cookie and even the right CSRF token (a page elsewhere cannot send the token; this
    // proves the Origin check on its own). Node's fetch may set Origin, a page's fetch may not.
    const csrf = await csrfToken(page);
    const cookie = (await tab.context.cookies()).find((c) => c.name === 'bwk_session')!;
    const cross = await fetch(`${server.p.url}${cancel}`, {
      method: 'POST',
      headers: { cookie: `bwk_session=${cookie.value}`, 'x-csrf-token': csrf, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(cross.status, 403, await cross.clone().text());
    assert.equal(await runStatus(runs.csrf), 'waiting_approval', 'none of the refused requests cancelled the run');

    // The same request with the session's CSRF token is done: the refusals above were the CSRF check, nothing else.
    const done = await fetchFromPage(page, cancel, { method: 'POST', headers: { 'x-csrf-token': csrf }, body: { comment: 'cancelled from the console' } });
    assert.ok(done.status >= 200 && done.status < 300, JSON.stringify(done));
    await eventually('the run is cancelled', async () => (await runStatus(runs.csrf)) === 'cancelled');
  });

  it('a read-only person is not offered Approve, and the server refuses the approval anyway', async () => {
    const tab = await open('reader');
    const { page } = tab;
    await signIn(tab, server.people.reader.token, server.people.reader.name);
    await tab.visit(`/console/runs/${runs.approval}`, 'run-as-reader');
    await ui.runStatus(page).waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await ui.runStatus(page).innerText(), /waiting/i);
    await ui.plan(page).waitFor({ state: 'visible' });
    assert.equal(await ui.runButton(page, 'Approve').count(), 0, 'no Approve button for read');
    assert.equal(await ui.runButton(page, 'Reject').count(), 0, 'no Reject button for read');

    const res = await fetchFromPage(page, `/v1/runs/${runs.approval}/approve`, { method: 'POST', headers: { 'x-csrf-token': await csrfToken(page) }, body: { comment: 'I only read' } });
    assert.equal(res.status, 403, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'BWK_AUTH_FORBIDDEN', JSON.stringify(res.body));
    assert.equal(await runStatus(runs.approval), 'waiting_approval');
    assert.equal(await replicasOf(admin, ns, 'approval-target'), 2, 'the workload keeps its replicas');
  });

  it("the console's responses carry the strict Content-Security-Policy, and no inline script runs on its pages", async () => {
    const tab = await open('csp');
    const { page } = tab;
    const response = await page.goto(tab.url('/console/signin'), { waitUntil: 'networkidle' });
    assert.ok(response);
    const headers = response.headers();
    const csp = headers['content-security-policy'] ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) {
      assert.ok(csp.includes(directive), `${directive} in ${JSON.stringify(csp)}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['referrer-policy'], 'no-referrer');
    // A client route answers the same page with the same policy.
    const deep = await page.goto(tab.url('/console/alerts?severity=high'), { waitUntil: 'networkidle' });
    assert.equal(deep?.headers()['content-security-policy'], csp);
    await tab.shot('client-route-signed-out');

    // Walk the console signed in: every page renders without a single violation, and ships no inline script.
    await signIn(tab, server.people.responder.token, server.people.responder.name);
    for (const path of ['/console/alerts', '/console/incidents', '/console/explore', '/console/runs', `/console/runs/${runs.approval}`, '/console/sources']) {
      await tab.visit(path, path.split('/').slice(2).join('-'));
      assert.equal(await page.locator('script:not([src])').count(), 0, `${path}: no inline <script>`);
    }
    assert.deepEqual(await tab.cspViolations(), [], 'no CSP violation on any console page');

    // And the policy really blocks: an inline script put on the page does not run, and the browser reports it.
    const ran = await page.evaluate(async () => {
      const w = globalThis as unknown as PageWindow;
      const s = w.document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      w.document.body.append(s);
      await new Promise((r) => setTimeout(r, 200));
      return w.__inlineRan === true;
    });
    assert.equal(ran, false, 'the inline script did not run');
    const violations = await eventually('the violation is reported', async () => {
      const v = await tab.cspViolations();
      return v.length ? v : null;
    }, 5_000);
    assert.ok(violations.some((v) => /script-src/.test(v.directive) || /script-src/.test(v.blocked)), JSON.stringify(violations));
  });
});
