// services: smtp
/**
 * Notifications from a playbook, configured the way an operator does it (`responder.smtp`,
 * `responder.http`, `responder.public_url` in the config file; the SMTP password as a secret reference). A run for a
 * real incident mails the real SMTP listener of test/services (incident summary and link) and posts a Slack message
 * to a real local HTTP server, whose URL is a secret reference (a webhook URL is a credential, never typed by whoever
 * starts the run: "Bulwark's own secrets"); a webhook to the cloud metadata address is refused and nothing is sent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { startHarness, type Harness } from '../support/harness.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\`, or \`test/services/up smtp && source test/.services.env\``);
  return value;
}

const PLAYBOOK = `
name: tell-people
description: mail the on-call and post to chat
inputs:
  chat: { type: secret }
steps:
  - id: mail
    action: notify.email
    with: { to: [oncall@example.com], subject: 'Incident {{ incident.title }}' }
  - id: chat
    action: notify.webhook
    with: { url_ref: '{{ inputs.chat }}', format: slack, text: 'Contained {{ incident.entity.value }}' }
`;

describe('notifications configured as an operator does', () => {
  let h: Harness;
  let receiver: RecordingServer;
  let dir: string;
  let incidentId = '';

  before(async () => {
    receiver = await startRecordingServer();
    dir = mkdtempSync(join(tmpdir(), 'bwk-notify-'));
    mkdirSync(join(dir, 'playbooks'));
    writeFileSync(join(dir, 'playbooks', 'tell-people.yml'), PLAYBOOK);
    process.env.BWK_TEST_SMTP_PASSWORD = env('SMTP_PASSWORD');
    process.env.BWK_TEST_CHAT_URL = `${receiver.url}/slack`;
    process.env.BWK_TEST_METADATA_URL = 'http://169.254.169.254/latest/meta-data/';
    writeFileSync(
      join(dir, 'config.yml'),
      [
        'responder:',
        `  playbooks_dir: ${join(dir, 'playbooks')}`,
        '  public_url: https://bulwark.example.com',
        "  http: { allow_hosts: ['127.0.0.1', '169.254.169.254'], allow_cidrs: ['127.0.0.0/8'] }",
        `  smtp: { host: '${env('SMTP_HOST')}', port: ${env('SMTP_PORT')}, user: '${env('SMTP_USER')}', password_ref: 'env:BWK_TEST_SMTP_PASSWORD', from: 'bulwark@example.com' }`,
        '',
      ].join('\n'),
    );
    h = await startHarness({ BULWARK_CONFIG: join(dir, 'config.yml') }, { responder: true });
  });
  after(async () => {
    await h?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.BWK_TEST_SMTP_PASSWORD;
    delete process.env.BWK_TEST_CHAT_URL;
    delete process.env.BWK_TEST_METADATA_URL;
  });

  const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  type Run = { id: string; status: string; steps: Array<{ id: string; status: string; error: string | null; outputs: Record<string, unknown> | null }> };
  const finished = async (id: string): Promise<Run> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const run = (await (await h.fetch(`/v1/runs/${id}`, { token: h.tokens.read })).json()) as Run;
      if (!['pending', 'running'].includes(run.status)) return run;
      assert.ok(Date.now() < deadline, JSON.stringify(run));
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('mails the incident summary over SMTP and posts to chat', async () => {
    const now = new Date().toISOString();
    const recorded = await h.fetch('/v1/alerts', {
      ...json({ id: 'notify-1', rule: { id: 'r', name: 'Crypto miner started', level: 'high', tags: [] }, severity: 'high', group_key: 'prod/miner-1', entity: { kind: 'workload', namespace: 'prod', value: 'miner-1' }, first_seen: now, last_seen: now }),
      token: h.tokens.alerts,
    });
    assert.equal(recorded.status, 201);
    incidentId = ((await recorded.json()) as { items: Array<{ incident_id: string }> }).items[0]!.incident_id;
    const res = await h.fetch('/v1/playbooks/tell-people/run', { ...json({ incident_id: incidentId, inputs: { chat: 'env:BWK_TEST_CHAT_URL' } }), token: h.tokens.respond });
    assert.equal(res.status, 202, await res.clone().text());
    const run = await finished(((await res.json()) as Run).id);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.steps));

    const key = `${run.id}/mail`;
    let mail: ParsedMail | undefined;
    const deadline = Date.now() + 5000;
    while (!mail && Date.now() < deadline) {
      for (const name of readdirSync(env('SMTP_MAILDIR')).filter((n) => n.endsWith('.eml'))) {
        const raw = readFileSync(join(env('SMTP_MAILDIR'), name));
        if (raw.includes(key)) mail = await simpleParser(raw);
      }
      if (!mail) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(mail, 'the mail reached the SMTP listener');
    assert.match(mail.subject ?? '', /Incident/);
    assert.match(mail.text ?? '', /Crypto miner started/);
    assert.match(mail.text ?? '', new RegExp(`https://bulwark.example.com/v1/incidents/${incidentId}`));
    assert.match(String(mail.html), /Crypto miner started/);
    assert.equal(mail.headers.get('x-bulwark-idempotency-key'), key);

    const [post] = await receiver.waitFor(1, 5000);
    assert.equal(post!.path, '/slack');
    assert.match(JSON.stringify(post!.body), /Contained miner-1/);
    assert.ok(Array.isArray((post!.body as { blocks?: unknown[] }).blocks), 'Slack Block Kit payload');
  });

  it('a webhook URL typed by whoever starts the run is refused before anything runs', async () => {
    const before = receiver.requests.length;
    const res = await h.fetch('/v1/playbooks/tell-people/run', { ...json({ incident_id: incidentId, inputs: { chat: `${receiver.url}/exfiltrate` } }), token: h.tokens.respond });
    assert.equal(res.status, 400);
    const error = ((await res.json()) as { error: { code: string; message: string; details: { field: string } } }).error;
    assert.equal(error.details.field, 'inputs.chat');
    assert.match(error.message, /must be a secret reference/);
    assert.equal(receiver.requests.length, before);
  });

  it('a webhook to the cloud metadata address is refused, even when its host is allowed; nothing is sent', async () => {
    const before = receiver.requests.length;
    const res = await h.fetch('/v1/playbooks/tell-people/run', { ...json({ incident_id: incidentId, inputs: { chat: 'env:BWK_TEST_METADATA_URL' } }), token: h.tokens.respond });
    const run = await finished(((await res.json()) as Run).id);
    assert.equal(run.status, 'failed');
    const chat = run.steps.find((s) => s.id === 'chat')!;
    assert.equal(chat.status, 'failed');
    assert.match(chat.error ?? '', /169\.254\.169\.254|metadata/);
    assert.equal(receiver.requests.length, before);
  });
});
