// services: smtp
/**
 * `notify.email` through the real SMTP listener of test/services/smtp.sh: each message is read back from its maildir
 * (.eml, parsed with mailparser) — subject, text and HTML with the incident summary (from a small in-test IncidentPort)
 * and the link, HTML escaping, Message-ID and X-Bulwark-Idempotency-Key from the step's key, Cc, AUTH with the test
 * user (and without), a wrong password refused without showing it, missing SMTP settings, and a dry run that sends
 * nothing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import { BulwarkError } from '@bulwark/schema';
import { ACTIONS, notifyEmail, type ActionContext, type IncidentPort, type IncidentSummary, type KubeClients, type SmtpSettings } from '../src/index.js';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\`, or \`test/services/up smtp && source test/.services.env\``);
  return value;
}

const INCIDENT: IncidentSummary = {
  id: 'inc-51e0',
  title: 'Crypto miner <b>in</b> batch/worker & friends',
  severity: 'critical',
  status: 'acknowledged',
  entity: 'pod:batch/worker-0',
  alert_count: 4,
  first_seen: '2026-11-29T09:00:00.000Z',
  last_seen: '2026-11-29T09:30:00.000Z',
  alerts: [
    { rule: 'miner-pool-connection', severity: 'critical', at: '2026-11-29T09:30:00.000Z' },
    { rule: 'cpu-spike "unusual"', severity: 'medium', at: '2026-11-29T09:10:00.000Z' },
  ],
};

const incidents: IncidentPort = {
  summary: async (id) => (id === INCIDENT.id ? INCIDENT : null),
  addEvidence: async () => {
    throw new Error('not used by notifications');
  },
  update: async () => {
    throw new Error('not used by notifications');
  },
};

const LINK = `https://bulwark.example/v1/incidents/${INCIDENT.id}`;

function smtp(extra: Partial<SmtpSettings> = {}): SmtpSettings {
  return {
    host: env('SMTP_HOST'),
    port: Number(env('SMTP_PORT')),
    user: env('SMTP_USER'),
    passwordRef: 'env:SMTP_PASSWORD',
    from: 'Bulwark <bulwark@alerts.example>',
    ...extra,
  };
}

function context(extra: Partial<ActionContext> = {}): ActionContext {
  return {
    kube: {} as KubeClients,
    smtp: smtp(),
    secret: (ref) => {
      if (ref === 'env:SMTP_PASSWORD') return env('SMTP_PASSWORD');
      if (ref === 'env:WRONG_PASSWORD') return 'definitely-not-the-password-4711';
      throw new Error(`no secret ${ref}`);
    },
    incidents,
    incidentUrl: (id) => `https://bulwark.example/v1/incidents/${id}`,
    idempotencyKey: `run-${randomUUID()}/mail-oncall`,
    run: { id: 'run-3', step: 'mail-oncall', playbook: 'contain-miner', incidentId: INCIDENT.id },
    ...extra,
  };
}

/** The messages in the listener's maildir carrying this idempotency key (polls until `count` arrive or the deadline). */
async function mailsWithKey(key: string, count = 1, timeoutMs = 5_000): Promise<ParsedMail[]> {
  const dir = env('SMTP_MAILDIR');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found: ParsedMail[] = [];
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.eml') && !n.startsWith('.'))) {
      const raw = readFileSync(join(dir, name));
      if (!raw.includes(key)) continue;
      const mail = await simpleParser(raw);
      if (mail.headers.get('x-bulwark-idempotency-key') === key) found.push(mail);
    }
    if (found.length >= count || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('notify.email', () => {
  it('is registered, unlimited, needs no RBAC', () => {
    assert.equal(ACTIONS.get('notify.email'), notifyEmail);
    assert.equal(notifyEmail.limited, false);
    assert.deepEqual(notifyEmail.rbac, []);
  });

  it('delivers text and HTML with the incident summary and link, authenticated as the test user', async () => {
    const ctx = context();
    const result = await notifyEmail.run(ctx, { to: ['oncall@example.com'], cc: ['sec-lead@example.com'], text: 'The miner pod was quarantined.' });
    assert.equal(result.changed, true);
    assert.equal(result.undo, null);
    const outputs = result.outputs as { message_id: string; accepted: string[] };
    assert.deepEqual(outputs.accepted.sort(), ['oncall@example.com', 'sec-lead@example.com']);

    const [mail] = await mailsWithKey(ctx.idempotencyKey!);
    assert.ok(mail, 'the message reached the listener');
    assert.equal(mail.headers.get('x-test-smtp-auth'), env('SMTP_USER'));
    assert.equal(mail.headers.get('x-test-smtp-rcpt'), 'oncall@example.com, sec-lead@example.com');
    assert.equal(mail.subject, '[critical] Crypto miner <b>in</b> batch/worker & friends');
    assert.equal(mail.from?.value[0]?.address, 'bulwark@alerts.example');
    assert.equal(mail.messageId, outputs.message_id);
    assert.match(outputs.message_id, /^<[0-9a-f]{40}\.bulwark@alerts\.example>$/);

    const text = mail.text ?? '';
    for (const needle of [
      'The miner pod was quarantined.',
      'Severity: critical',
      'Status: acknowledged',
      'Entity: pod:batch/worker-0',
      'Alerts: 4',
      'miner-pool-connection',
      'cpu-spike "unusual"',
      LINK,
      'playbook contain-miner, run run-3, step mail-oncall',
    ]) {
      assert.ok(text.includes(needle), `text has ${needle}:\n${text}`);
    }

    const html = String(mail.html);
    assert.ok(html.includes('Crypto miner &lt;b&gt;in&lt;/b&gt; batch/worker &amp; friends'), html);
    assert.ok(!html.includes('<b>in</b>'), 'values are escaped in HTML');
    assert.ok(html.includes('cpu-spike &quot;unusual&quot;'));
    assert.ok(html.includes(`<a href="${LINK}">`));
    assert.ok(html.includes('pod:batch/worker-0'));
    assert.ok(html.includes('acknowledged'));
    assert.ok(!JSON.stringify(result).includes(env('SMTP_PASSWORD')), 'the password is nowhere in the result');
  });

  it('the same key gives the same Message-ID (a retried step is recognisable)', async () => {
    const ctx = context();
    const a = await notifyEmail.run(ctx, { to: ['oncall@example.com'], subject: 'first' });
    const b = await notifyEmail.run(ctx, { to: ['oncall@example.com'], subject: 'retry' });
    assert.equal((a.outputs as { message_id: string }).message_id, (b.outputs as { message_id: string }).message_id);
    const mails = await mailsWithKey(ctx.idempotencyKey!, 2);
    assert.equal(mails.length, 2);
    assert.equal(mails[0]!.messageId, mails[1]!.messageId);
  });

  it('sends without AUTH when no user is configured', async () => {
    const ctx = context({ smtp: smtp({ user: undefined, passwordRef: undefined }) });
    await notifyEmail.run(ctx, { to: ['oncall@example.com'], subject: 'no auth' });
    const [mail] = await mailsWithKey(ctx.idempotencyKey!);
    assert.ok(mail);
    assert.equal(mail.headers.get('x-test-smtp-auth'), 'none');
    assert.equal(mail.subject, 'no auth');
  });

  it('a wrong password is refused by the server; the error does not show it', async () => {
    const ctx = context({ smtp: smtp({ passwordRef: 'env:WRONG_PASSWORD' }) });
    const err = await notifyEmail.run(ctx, { to: ['oncall@example.com'] }).then(
      () => assert.fail('a wrong password must fail'),
      (e: unknown) => e as Error,
    );
    assert.match(err.message, /notify\.email: sending through 127\.0\.0\.1:\d+ failed: .*535/);
    assert.ok(!err.message.includes('definitely-not-the-password-4711'));
    assert.ok(!String(err.stack).includes('definitely-not-the-password-4711'));
    assert.equal((await mailsWithKey(ctx.idempotencyKey!, 1, 300)).length, 0);
  });

  it('says clearly when SMTP is not configured', async () => {
    await assert.rejects(
      notifyEmail.run(context({ smtp: undefined }), { to: ['oncall@example.com'] }),
      (e: unknown) => e instanceof BulwarkError && e.code === 'BWK_CONFIG_INVALID' && /SMTP is not configured/.test(e.message),
    );
  });

  it('a dry run plans the message and sends nothing', async () => {
    const ctx = context({ dryRun: true });
    const result = await notifyEmail.run(ctx, { to: ['oncall@example.com'], text: 'dry' });
    assert.equal(result.changed, false);
    assert.match(result.summary, /^would e-mail oncall@example\.com: \[critical\] Crypto miner/);
    const detail = result.plan[0]!.detail as { to: string[]; subject: string; text: string; headers: Record<string, string> };
    assert.deepEqual(detail.to, ['oncall@example.com']);
    assert.ok(detail.text.includes(LINK));
    assert.equal(detail.headers['X-Bulwark-Idempotency-Key'], ctx.idempotencyKey);
    assert.equal((await mailsWithKey(ctx.idempotencyKey!, 1, 500)).length, 0);
  });

  it('rejects bad addresses before connecting; undo is a no-op', async () => {
    await assert.rejects(notifyEmail.run(context(), { to: ['not-an-address'] }));
    await assert.rejects(notifyEmail.run(context(), { to: [] }));
    const undone = await notifyEmail.undo(context(), null);
    assert.equal(undone.changed, false);
  });
});
