// services: process
/**
 * The `bulwark` server commands against the real all-in-one app with its responder in-process:
 * `playbooks run` (dry run and real), `runs list|show|approve|reject|cancel|undo`, API errors and tokens. The test
 * playbook changes only the incident and posts to a real local HTTP server (its URL a secret reference), so no
 * Kubernetes is needed; what the CLI says is checked against what really happened (the incident through the API, the
 * requests the server got). Approvals come from a second person: the operator who starts a run cannot approve it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../packages/cli/src/main.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';

const PLAYBOOK = `name: cli-contain
description: Mark the incident, then (after approval) tell the team by webhook.
inputs:
  note: { default: from the cli }
  webhook_ref: { type: secret, description: where the webhook URL is kept }
  count: { type: number, required: false }
steps:
  - id: mark
    action: incident.update
    with: { status: acknowledged, add_tags: [cli-test], comment: 'note: {{ inputs.note }}' }
  - id: notify
    action: notify.webhook
    approval: { approvers: [approve] }
    with: { url_ref: '{{ inputs.webhook_ref }}', format: json, text: 'incident marked: {{ inputs.note }}' }
`;

/** The webhook URL is a credential: the run names where it is (this process's environment), never the URL. */
const HOOK_VAR = `BWK_CLI_TEST_HOOK_${randomBytes(3).toString('hex').toUpperCase()}`;
const HOOK_REF = `webhook_ref=env:${HOOK_VAR}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('bulwark server commands (playbooks run, runs …)', () => {
  let h: Harness;
  let hook: RecordingServer;
  let incidentId: string;
  let env: Record<string, string>;

  /** An operator's token: read to look at runs, respond to start, cancel and undo them. */
  const operator = `bwk_${randomBytes(32).toString('base64url')}`;
  /** The same operator's approving token (same name): still the requester of the runs they start. */
  const operatorApprove = `bwk_${randomBytes(32).toString('base64url')}`;
  /** A second person, who decides approvals. */
  const approver = `bwk_${randomBytes(32).toString('base64url')}`;

  /** The CLI in-process, pointed at the harness by BULWARK_URL / BULWARK_TOKEN (the operator unless overridden). */
  const bulwark = async (argv: string[], envOverride: Record<string, string | undefined> = {}): Promise<Run> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: { ...env, ...envOverride },
    });
    return { code, stdout, stderr };
  };
  const showJson = async (id: string): Promise<any> => {
    const run = await bulwark(['runs', 'show', id, '--json']);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout);
  };
  /** Polls `runs show --json` until the run has `status`. */
  const waitFor = async (id: string, status: string, timeoutMs = 10_000): Promise<any> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const run = await showJson(id);
      if (run.status === status) return run;
      if (Date.now() > until) assert.fail(`run ${id} is ${run.status}, not ${status}: ${JSON.stringify(run.steps)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const incident = async (): Promise<any> => (await (await h.fetch(`/v1/incidents/${incidentId}`, { token: h.tokens.read })).json());
  /** Starts a real run and returns its id (from the "started run <id>" line). */
  const start = async (): Promise<string> => {
    const run = await bulwark(['playbooks', 'run', 'cli-contain', '--incident', incidentId, '--input', HOOK_REF]);
    assert.equal(run.code, 0, run.stderr);
    const id = /^started run (\S+) of playbook cli-contain/m.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
    return id;
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-cli-playbooks-'));
    writeFileSync(join(dir, 'cli-contain.yml'), PLAYBOOK);
    hook = await startRecordingServer();
    process.env[HOOK_VAR] = `${hook.url}/hook`;
    h = await startHarness({}, {
      responder: { playbooksDir: dir, context: { http: { allowHosts: ['127.0.0.1'], allowCidrs: ['127.0.0.0/8'] } } },
      tokens: [
        { name: 'cli-operator', scopes: ['read', 'respond'], secret: operator },
        { name: 'cli-operator', scopes: ['approve'], secret: operatorApprove },
        { name: 'cli-approver', scopes: ['read', 'approve'], secret: approver },
      ],
    });
    env = { BULWARK_URL: h.url, BULWARK_TOKEN: operator };
    const alert = {
      id: 'cli-alert-1',
      rule: { id: 'k8s-exec-into-pod', name: 'Exec into a pod', level: 'high', tags: ['attack.execution'] },
      severity: 'high',
      group_key: 'prod/web-1',
      entity: { kind: 'workload', namespace: 'prod', value: 'web-1' },
      event_ids: ['ev-cli-1'],
      first_seen: new Date().toISOString(),
      last_seen: new Date().toISOString(),
      source: 'api',
    };
    const res = await h.fetch('/v1/alerts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alert), token: h.tokens.alerts });
    assert.equal(res.status, 201, await res.clone().text());
    incidentId = ((await res.json()) as any).items[0].incident_id;
    assert.ok(incidentId);
  });
  after(async () => {
    await h?.close();
    await hook?.close();
    delete process.env[HOOK_VAR];
  });

  it('playbooks run --dry-run prints every step and its plan, and changes nothing', async () => {
    const run = await bulwark(['playbooks', 'run', 'cli-contain', '--dry-run', '--incident', incidentId, '--input', HOOK_REF, '--input', 'note=dry']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^run \S+ {2}playbook cli-contain {2}status succeeded {2}\(dry run\)$/m);
    assert.match(run.stdout, /DRY RUN: nothing was changed/);
    assert.match(run.stdout, /^ {4}1\. mark +incident\.update +succeeded/m);
    assert.match(run.stdout, new RegExp(`^ {7}would patch incidents/${incidentId} .*"status":"acknowledged"`, 'm'));
    assert.match(run.stdout, /^ {4}2\. notify +notify\.webhook +succeeded/m);
    assert.match(run.stdout, /would send a json notification .*to 127\.0\.0\.1/);
    assert.match(run.stdout, /^ {7}would \w+ .*127\.0\.0\.1/m, 'the webhook plan names its target');
    assert.match(run.stdout, new RegExp(`inputs: +\\{"note":"dry","webhook_ref":"env:${HOOK_VAR}"\\}`));
    assert.ok(!run.stdout.includes(`${hook.url}/hook`), 'the webhook URL itself is never shown (its origin at most)');
    // Nothing happened: the incident is as recorded, the webhook never called.
    const inc = await incident();
    assert.equal(inc.status, 'open');
    assert.ok(!(inc.tags ?? []).includes('cli-test'));
    assert.equal(hook.requests.length, 0);
    // --json is the API's run view.
    const json = await bulwark(['playbooks', 'run', 'cli-contain', '--dry-run', '--json', '--incident', incidentId, '--input', HOOK_REF]);
    assert.equal(json.code, 0, json.stderr);
    const view = JSON.parse(json.stdout);
    assert.equal(view.dry_run, true);
    assert.deepEqual(view.steps.map((s: any) => [s.id, s.status]), [['mark', 'succeeded'], ['notify', 'succeeded']]);
    assert.equal(view.steps[0].plan[0].target, `incidents/${incidentId}`);
  });

  it('run → list → show waiting_approval → approve → succeeded; then undo reverses it', async () => {
    const id = await start();
    const waiting = await waitFor(id, 'waiting_approval');
    assert.deepEqual(waiting.steps.map((s: any) => s.status), ['succeeded', 'waiting_approval']);

    const list = await bulwark(['runs', 'list', '--playbook', 'cli-contain', '--incident', incidentId]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${id} +cli-contain +waiting_approval \\(step notify\\) +${incidentId} `, 'm'));
    const waitingOnly = JSON.parse((await bulwark(['runs', 'list', '--status', 'waiting_approval', '--json'])).stdout);
    assert.ok(waitingOnly.items.some((r: any) => r.id === id));
    assert.ok(waitingOnly.items.every((r: any) => r.status === 'waiting_approval' && !r.dry_run));

    const show = await bulwark(['runs', 'show', id]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`^run ${id} {2}playbook cli-contain {2}status waiting_approval$`, 'm'));
    assert.match(show.stdout, /^ {4}1\. mark +incident\.update +succeeded {2}attempts 1 {2}changed$/m);
    assert.match(show.stdout, new RegExp(`^ {7}updated incident ${incidentId} \\(status acknowledged\\)$`, 'm'));
    assert.match(show.stdout, /^ {4}2\. notify +notify\.webhook +waiting_approval$/m);
    assert.match(show.stdout, /^ {7}approval: waiting for a decision by approve \(or admin\), no deadline \(playbook\)$/m);
    assert.match(show.stdout, new RegExp(`^ {7}would run with: \\{"url_ref":"env:${HOOK_VAR}","format":"json","text":"incident marked: from the cli"\\}$`, 'm'));
    assert.match(show.stdout, /^ {2}trigger: {2}manual by cli-operator \(token [0-9a-f]{16}\); /m);
    assert.equal((await incident()).status, 'acknowledged');
    assert.equal(hook.requests.length, 0, 'the webhook waits for the approval');

    // The operator who started it cannot approve it: not with the respond token, not with their approve token.
    const asRespond = await bulwark(['runs', 'approve', id]);
    assert.equal(asRespond.code, 1);
    assert.match(asRespond.stderr, /^bulwark: BWK_AUTH_FORBIDDEN: .*\(HTTP 403\)$/m);
    const self = await bulwark(['runs', 'approve', id], { BULWARK_TOKEN: operatorApprove });
    assert.equal(self.code, 1);
    assert.match(self.stderr, /^bulwark: BWK_SELF_APPROVAL: cli-operator is .*\(HTTP 403\)$/m);
    assert.equal(hook.requests.length, 0);

    const approve = await bulwark(['runs', 'approve', id, '--comment', 'go ahead'], { BULWARK_TOKEN: approver });
    assert.equal(approve.code, 0, approve.stderr);
    assert.match(approve.stdout, new RegExp(`^approved step notify of run ${id}; the run is running$`, 'm'));
    const done = await waitFor(id, 'succeeded');
    assert.equal(done.steps[1].approval.decision, 'approved');
    assert.equal(done.steps[1].approval.decided_by, 'cli-approver');
    assert.equal(done.steps[1].approval.comment, 'go ahead');
    const [sent] = await hook.waitFor(1);
    assert.equal(sent!.path, '/hook');
    assert.match(sent!.rawBody, /incident marked: from the cli/);
    const shown = await bulwark(['runs', 'show', id]);
    assert.match(shown.stdout, /approval: approved by cli-approver at \S+: "go ahead" \(playbook\)/);

    const undo = await bulwark(['runs', 'undo', id]);
    assert.equal(undo.code, 0, undo.stderr);
    assert.match(undo.stdout, new RegExp(`^undo of run ${id} requested .*the run is undoing$`, 'm'));
    const undone = await waitFor(id, 'undone');
    assert.ok(undone.steps[0].undo_summary, 'the incident update was reversed');
    assert.equal((await incident()).status, 'open');
    // A second undo is refused by the server: its code and message are printed, exit 1.
    const again = await bulwark(['runs', 'undo', id]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`BWK_CASE_INVALID_STATE: run ${id} is already undone \\(HTTP 409\\)`));
  });

  it('runs reject ends the run rejected without calling the webhook', async () => {
    hook.reset();
    const id = await start();
    await waitFor(id, 'waiting_approval');
    const reject = await bulwark(['runs', 'reject', id, '--step', 'notify', '--comment', 'not now'], { BULWARK_TOKEN: approver });
    assert.equal(reject.code, 0, reject.stderr);
    assert.match(reject.stdout, new RegExp(`^rejected step notify of run ${id}; the run is `, 'm'));
    const run = await waitFor(id, 'rejected');
    assert.equal(run.steps[1].approval.decision, 'rejected');
    assert.equal(hook.requests.length, 0);
  });

  it('a read-only token cannot approve (403); runs cancel stops a waiting run', async () => {
    const id = await start();
    await waitFor(id, 'waiting_approval');
    const readOnly = await bulwark(['runs', 'approve', id], { BULWARK_TOKEN: h.tokens.read });
    assert.equal(readOnly.code, 1);
    assert.match(readOnly.stderr, /^bulwark: BWK_AUTH_FORBIDDEN: .*\(HTTP 403\)$/m);
    assert.equal((await showJson(id)).status, 'waiting_approval', 'nothing was decided');
    // --token wins over BULWARK_TOKEN, and reading is fine with read scope.
    assert.equal((await bulwark(['runs', 'show', id, '--token', h.tokens.read], { BULWARK_TOKEN: 'bogus' })).code, 0);

    const cancel = await bulwark(['runs', 'cancel', id]);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, new RegExp(`^cancelled run ${id}; the run is cancelled$`, 'm'));
    const run = await showJson(id);
    assert.deepEqual(run.steps.map((s: any) => s.status), ['succeeded', 'cancelled']);
    const twice = await bulwark(['runs', 'cancel', id]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /BWK_CASE_INVALID_STATE: .*only a pending, running or waiting run can be cancelled/);
  });

  it('API errors print the server code and message and exit 1', async () => {
    const unknown = await bulwark(['runs', 'show', 'run-does-not-exist']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^bulwark: BWK_NOT_FOUND: .*run-does-not-exist.* \(HTTP 404\)$/m);
    assert.equal(unknown.stdout, '');
    const noPlaybook = await bulwark(['playbooks', 'run', 'no-such-playbook']);
    assert.equal(noPlaybook.code, 1);
    assert.match(noPlaybook.stderr, /BWK_NOT_FOUND: no playbook "no-such-playbook"/);
    const badInput = await bulwark(['playbooks', 'run', 'cli-contain', '--dry-run', '--input', 'count=many', '--input', HOOK_REF]);
    assert.equal(badInput.code, 1);
    assert.match(badInput.stderr, /BWK_BAD_REQUEST: input count: must be a number/);
    assert.match(badInput.stderr, /^ {2}field: inputs\.count$/m);
    // Whoever starts the run cannot type a webhook URL: only a reference to where the operator keeps it.
    const plainUrl = await bulwark(['playbooks', 'run', 'cli-contain', '--dry-run', '--input', `webhook_ref=${hook.url}/exfiltrate`]);
    assert.equal(plainUrl.code, 1);
    assert.match(plainUrl.stderr, /BWK_BAD_REQUEST: input webhook_ref: must be a secret reference/);
    const badToken = await bulwark(['runs', 'list'], { BULWARK_TOKEN: 'not-a-token' });
    assert.equal(badToken.code, 1);
    assert.match(badToken.stderr, /BWK_AUTH_\w+: .*\(HTTP 401\)/);
  });

  it('usage errors exit 2 before anything is sent; an unreachable server exits 1', async () => {
    const noToken = await bulwark(['runs', 'list'], { BULWARK_TOKEN: undefined });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /a token is required: --token <token> or BULWARK_TOKEN/);
    assert.equal((await bulwark(['runs', 'show'])).code, 2);
    assert.equal((await bulwark(['runs', 'list', '--status', 'sleeping'])).code, 2);
    assert.equal((await bulwark(['runs', 'approve', 'a', 'b'])).code, 2);
    assert.equal((await bulwark(['runs', 'bogus'])).code, 2);
    assert.equal((await bulwark(['playbooks', 'run', 'cli-contain', '--input', 'novalue'])).code, 2);
    assert.equal((await bulwark(['runs', 'list', '--url', 'ftp://x'])).code, 2);
    const port = await closedPort();
    const down = await bulwark(['runs', 'list', '--url', `http://127.0.0.1:${port}`]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`^bulwark: cannot reach Bulwark at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`, 'm'));
  });
});

/** A loopback port nothing listens on (one the kernel just gave out and took back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
