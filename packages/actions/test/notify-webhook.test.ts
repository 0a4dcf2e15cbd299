/**
 * `notify.webhook` against a real local HTTP server: each format's payload as it arrives (Slack Block Kit, Teams
 * Adaptive Card, PagerDuty Events v2, generic JSON) built from a small in-test IncidentPort, Idempotency-Key sent,
 * secrets (routing key, a webhook URL from a secret) absent from plan and summary, dry run sends nothing, and the
 * allowlist/SSRF checks shared with http.request.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { BulwarkError } from '@bulwark/schema';
import { recordingServerPerSuite, type RecordingServer } from '../../../test/support/recording-server.js';
import { ACTIONS, notifyWebhook, type ActionContext, type IncidentPort, type IncidentSummary, type KubeClients } from '../src/index.js';

const ROUTING_KEY = 'R0UTING-KEY-e93b1f0c2d';
const INCIDENT: IncidentSummary = {
  id: 'inc-7f3a',
  title: 'Reverse shell in payments/api-7f9c',
  severity: 'high',
  status: 'open',
  entity: 'pod:payments/api-7f9c',
  alert_count: 3,
  first_seen: '2026-11-29T10:00:00.000Z',
  last_seen: '2026-11-29T10:05:00.000Z',
  alerts: [
    { rule: 'shell-spawned-in-container', severity: 'high', at: '2026-11-29T10:05:00.000Z' },
    { rule: 'outbound-to-rare-port <script>', severity: 'medium', at: '2026-11-29T10:01:00.000Z' },
  ],
};

/** The incident port the responder provides, reduced to what notifications read. */
class TestIncidents implements IncidentPort {
  constructor(private readonly incident: IncidentSummary = INCIDENT) {}
  async summary(id: string): Promise<IncidentSummary | null> {
    return id === this.incident.id ? this.incident : null;
  }
  async addEvidence(): Promise<string> {
    throw new Error('not used by notifications');
  }
  async update(): Promise<never> {
    throw new Error('not used by notifications');
  }
}

function context(server: RecordingServer, extra: Partial<ActionContext> = {}): ActionContext {
  return {
    kube: {} as KubeClients,
    http: { allowHosts: ['127.0.0.1'], allowCidrs: ['127.0.0.0/8'] },
    secret: (ref) => {
      if (ref === 'env:PD_ROUTING_KEY') return ROUTING_KEY;
      if (ref === 'env:SLACK_URL') return `${server.url}/services/T000/B000/XXXXSECRETPATH`;
      throw new Error(`no secret ${ref}`);
    },
    incidents: new TestIncidents(),
    incidentUrl: (id) => `https://bulwark.example/v1/incidents/${id}`,
    idempotencyKey: 'run-9/notify-oncall',
    run: { id: 'run-9', step: 'notify-oncall', playbook: 'contain-reverse-shell', incidentId: INCIDENT.id },
    ...extra,
  };
}

const LINK = `https://bulwark.example/v1/incidents/${INCIDENT.id}`;

describe('notify.webhook', () => {
  const recording = recordingServerPerSuite();
  let server: RecordingServer;
  beforeEach(() => (server = recording()));

  it('is registered, unlimited, needs no RBAC', () => {
    assert.equal(ACTIONS.get('notify.webhook'), notifyWebhook);
    assert.equal(notifyWebhook.limited, false);
    assert.deepEqual(notifyWebhook.rbac, []);
  });

  it('slack: {text, blocks} with header, facts, latest alerts (mrkdwn-escaped), a button to the incident; Idempotency-Key', async () => {
    const result = await notifyWebhook.run(context(server), { url: `${server.url}/slack`, format: 'slack', text: 'Pod quarantined; please review.' });
    const [req] = await server.waitFor(1);
    assert.equal(req!.headers['idempotency-key'], 'run-9/notify-oncall');
    assert.equal(req!.headers['content-type'], 'application/json');
    const body = req!.body as { text: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { url?: string; text?: unknown }[] }[] };
    assert.match(body.text, /\[high\] Reverse shell in payments\/api-7f9c/);
    assert.deepEqual(
      body.blocks.map((b) => b.type),
      ['header', 'section', 'section', 'section', 'actions', 'context'],
    );
    assert.equal(body.blocks[0]!.text!.text, '[high] Reverse shell in payments/api-7f9c');
    assert.equal(body.blocks[1]!.text!.text, 'Pod quarantined; please review.');
    const facts = body.blocks[2]!.fields!.map((f) => f.text);
    assert.ok(facts.includes('*Severity*\nhigh'));
    assert.ok(facts.includes('*Entity*\npod:payments/api-7f9c'));
    assert.ok(facts.includes('*Alerts*\n3'));
    assert.match(body.blocks[3]!.text!.text, /shell-spawned-in-container/);
    assert.match(body.blocks[3]!.text!.text, /outbound-to-rare-port &lt;script&gt;/);
    assert.equal(body.blocks[4]!.elements![0]!.url, LINK);
    assert.match(result.summary, /sent a slack notification about incident inc-7f3a to 127\.0\.0\.1:\d+ \(200\)/);
    assert.equal(result.changed, true);
    assert.equal(result.undo, null);
  });

  it('teams: an Adaptive Card message with the facts (as text runs) and an Open incident action', async () => {
    await notifyWebhook.run(context(server), { url: `${server.url}/teams`, format: 'teams', title: 'Containment done' });
    const [req] = await server.waitFor(1);
    const body = req!.body as { type: string; attachments: { contentType: string; content: Record<string, unknown> }[] };
    assert.equal(body.type, 'message');
    assert.equal(body.attachments.length, 1);
    assert.equal(body.attachments[0]!.contentType, 'application/vnd.microsoft.card.adaptive');
    type Inline = { type: string; text: string; weight?: string };
    const card = body.attachments[0]!.content as { type: string; version: string; body: { type: string; text?: string; inlines?: Inline[] }[]; actions: { type: string; url: string }[] };
    assert.equal(card.type, 'AdaptiveCard');
    assert.equal(card.version, '1.4');
    assert.deepEqual(card.body[0], { type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: 'Containment done', size: 'Large', weight: 'Bolder' }] });
    const lines = card.body.filter((b) => b.type === 'RichTextBlock').map((b) => b.inlines!.map((i) => i.text).join(''));
    assert.ok(lines.includes('Status: open'), lines.join(' | '));
    assert.ok(lines.includes('Alerts: 3'));
    assert.ok(lines.some((l) => l.includes('shell-spawned-in-container')));
    assert.deepEqual(card.actions, [{ type: 'Action.OpenUrl', title: 'Open incident', url: LINK }]);
    assert.equal(req!.headers['idempotency-key'], 'run-9/notify-oncall');
  });

  it('pagerduty: Events API v2 trigger with the routing key from the secret, dedup key, mapped severity, links; the key is in neither plan nor summary', async () => {
    const result = await notifyWebhook.run(context(server), {
      url: `${server.url}/v2/enqueue`,
      format: 'pagerduty',
      routing_key_ref: 'env:PD_ROUTING_KEY',
      text: 'shell in pod',
    });
    const [req] = await server.waitFor(1);
    const body = req!.body as {
      routing_key: string;
      event_action: string;
      dedup_key: string;
      payload: { severity: string; summary: string; source: string; component: string; custom_details: { incident: IncidentSummary; run: { id: string } } };
      links: unknown;
    };
    assert.equal(body.routing_key, ROUTING_KEY);
    assert.equal(body.event_action, 'trigger');
    assert.equal(body.dedup_key, 'run-9/notify-oncall');
    assert.equal(body.payload.severity, 'error'); // ours: high
    assert.equal(body.payload.summary, '[high] Reverse shell in payments/api-7f9c: shell in pod');
    assert.equal(body.payload.source, 'pod:payments/api-7f9c');
    assert.equal(body.payload.component, 'contain-reverse-shell');
    assert.equal(body.payload.custom_details.incident.alert_count, 3);
    assert.equal(body.payload.custom_details.run.id, 'run-9');
    assert.deepEqual(body.links, [{ href: LINK, text: 'Open the incident in Bulwark' }]);
    assert.equal(req!.headers['idempotency-key'], 'run-9/notify-oncall');

    const shown = JSON.stringify({ plan: result.plan, summary: result.summary, outputs: result.outputs });
    assert.ok(!shown.includes(ROUTING_KEY), shown);
    assert.equal((result.plan[0]!.detail as { body: { routing_key: string } }).body.routing_key, '[redacted]');
  });

  it('pagerduty without an idempotency key dedups on the incident id; critical maps to critical', async () => {
    const incidents = new TestIncidents({ ...INCIDENT, severity: 'critical' });
    await notifyWebhook.run(context(server, { idempotencyKey: undefined, incidents }), {
      url: `${server.url}/v2/enqueue`,
      format: 'pagerduty',
      routing_key_ref: 'env:PD_ROUTING_KEY',
    });
    const [req] = await server.waitFor(1);
    const body = req!.body as { dedup_key: string; payload: { severity: string } };
    assert.equal(body.dedup_key, INCIDENT.id);
    assert.equal(body.payload.severity, 'critical');
    assert.equal(req!.headers['idempotency-key'], undefined);
  });

  it('pagerduty needs routing_key_ref', async () => {
    await assert.rejects(notifyWebhook.run(context(server), { url: `${server.url}/x`, format: 'pagerduty' }), /routing_key_ref is required/);
    assert.equal(server.requests.length, 0);
  });

  it('json: {incident (with its url), run, text}', async () => {
    await notifyWebhook.run(context(server), { url: `${server.url}/generic`, format: 'json', text: 'hello' });
    const [req] = await server.waitFor(1);
    const body = req!.body as { incident: IncidentSummary & { url: string }; run: Record<string, string>; text: string; title: string };
    assert.equal(body.text, 'hello');
    assert.equal(body.incident.id, INCIDENT.id);
    assert.equal(body.incident.severity, 'high');
    assert.equal(body.incident.alerts.length, 2);
    assert.equal(body.incident.url, LINK);
    assert.deepEqual(body.run, { id: 'run-9', step: 'notify-oncall', playbook: 'contain-reverse-shell', incidentId: INCIDENT.id });
  });

  it('without an incident: the step text and the run only', async () => {
    await notifyWebhook.run(context(server, { run: { id: 'run-10', step: 's', playbook: 'p' } }), { url: `${server.url}/g`, format: 'json', text: 'no incident' });
    const [req] = await server.waitFor(1);
    assert.deepEqual(req!.body, { title: 'Bulwark: playbook p', text: 'no incident', incident: null, run: { id: 'run-10', step: 's', playbook: 'p' } });
  });

  it('a webhook URL from a secret (url_ref) reaches the server and is redacted from plan and summary', async () => {
    const result = await notifyWebhook.run(context(server), { url_ref: 'env:SLACK_URL', format: 'slack', text: 'x' });
    const [req] = await server.waitFor(1);
    assert.equal(req!.path, '/services/T000/B000/XXXXSECRETPATH');
    const shown = JSON.stringify({ plan: result.plan, summary: result.summary, outputs: result.outputs });
    assert.ok(!shown.includes('XXXXSECRETPATH'), shown);
    assert.match(result.plan[0]!.target, /^POST http:\/\/127\.0\.0\.1:\d+\/\[redacted\]$/);
  });

  it('a dry run plans the exact payload and sends nothing', async () => {
    const result = await notifyWebhook.run(context(server, { dryRun: true }), {
      url: `${server.url}/v2/enqueue`,
      format: 'pagerduty',
      routing_key_ref: 'env:PD_ROUTING_KEY',
    });
    assert.equal(result.changed, false);
    assert.match(result.summary, /^would send a pagerduty notification about incident inc-7f3a/);
    const detail = result.plan[0]!.detail as { method: string; headers: Record<string, string>; body: { event_action: string; routing_key: string } };
    assert.equal(detail.method, 'POST');
    assert.equal(detail.headers['Idempotency-Key'], 'run-9/notify-oncall');
    assert.equal(detail.body.event_action, 'trigger');
    assert.equal(detail.body.routing_key, '[redacted]');
    assert.ok(!JSON.stringify(result).includes(ROUTING_KEY));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.requests.length, 0);
  });

  it('goes through the same allowlist and SSRF checks as http.request', async () => {
    await assert.rejects(
      notifyWebhook.run(context(server, { http: { allowHosts: ['hooks.slack.com'] } }), { url: `${server.url}/x`, format: 'slack' }),
      (e: unknown) => e instanceof BulwarkError && e.details?.field === 'url' && /not in http\.allowHosts/.test(e.message),
    );
    await assert.rejects(
      notifyWebhook.run(context(server, { http: { allowHosts: ['127.0.0.1'] } }), { url: `${server.url}/x`, format: 'json' }),
      (e: unknown) => e instanceof BulwarkError && /loopback/.test(e.message),
    );
    await assert.rejects(
      notifyWebhook.run(context(server, { http: { allowHosts: ['169.254.169.254'], allowCidrs: ['169.254.0.0/16'] } }), {
        url: 'http://169.254.169.254/hook',
        format: 'json',
      }),
      /cloud metadata/,
    );
    assert.equal(server.requests.length, 0);
  });

  it('a failing receiver is an error; undo is a no-op', async () => {
    server.respond({ status: 503, body: 'down' });
    await assert.rejects(notifyWebhook.run(context(server), { url: `${server.url}/x`, format: 'json' }), /answered 503, expected 2xx/);
    const undone = await notifyWebhook.undo(context(server), null);
    assert.equal(undone.changed, false);
  });
});
