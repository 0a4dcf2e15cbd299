/**
 * `notify.email`: mails the incident summary (facts, latest alerts, link) and the step's text, as plain text and as
 * HTML (every value escaped), through the SMTP relay in `ctx.smtp` (implicit TLS or STARTTLS, optional `requireTls`,
 * password from a secret reference, a private CA). The Message-ID is derived from the step's idempotency key and the
 * key travels as `X-Bulwark-Idempotency-Key`, so a retried step's second copy is recognisable. Mail cannot be
 * recalled: undo does nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nodemailer, { type SMTPSentMessageInfo, type SMTPTransportOptions } from 'nodemailer';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import type { Action, ActionContext, PlannedChange, SmtpSettings } from '../action.js';
import { noUndo } from './http-request.js';
import { alertLine, buildNotification, incidentFacts, oneLine, renderText, runLine, type Notification } from './message.js';
import { OutboundError, readSecret, redact } from './outbound.js';

const Address = z.email().max(320);

const Params = z.strictObject({
  to: z.array(Address).min(1).max(50),
  cc: z.array(Address).max(50).optional(),
  /** Default: the incident's severity and title. */
  subject: z.string().min(1).max(300).optional(),
  text: z.string().max(20_000).optional(),
});
export type EmailParams = z.infer<typeof Params>;

export const IDEMPOTENCY_HEADER = 'X-Bulwark-Idempotency-Key';
const SMTP_TIMEOUT_MS = 15_000;

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The HTML body: every value escaped; the link only when it is http(s). */
export function renderHtml(n: Notification): string {
  const e = escapeHtml;
  const parts = [`<h2>${e(n.title)}</h2>`];
  if (n.text) parts.push(`<p style="white-space:pre-wrap">${e(n.text)}</p>`);
  if (n.incident) {
    const rows = incidentFacts(n.incident).map(([k, v]) => `<tr><th align="left">${e(k)}</th><td>${e(v)}</td></tr>`);
    parts.push(`<table cellpadding="4">${rows.join('')}</table>`);
    if (n.incident.alerts.length) {
      parts.push('<h3>Latest alerts</h3>', `<ul>${n.incident.alerts.map((a) => `<li>${e(alertLine(a))}</li>`).join('')}</ul>`);
    }
  }
  if (n.link && /^https?:\/\//i.test(n.link)) parts.push(`<p><a href="${e(n.link)}">Open the incident</a> (${e(n.link)})</p>`);
  if (n.run) parts.push(`<p style="color:#666;font-size:small">Sent by Bulwark (${e(runLine(n.run))})</p>`);
  return `<!doctype html><html><body>${parts.join('\n')}</body></html>`;
}

function smtpSettings(ctx: ActionContext): SmtpSettings {
  if (!ctx.smtp) {
    throw new BulwarkError('BWK_CONFIG_INVALID', 'notify.email: SMTP is not configured (smtp.host, smtp.port and smtp.from for the responder)', {
      field: 'smtp',
    });
  }
  return ctx.smtp;
}

/** `<sha256(key)@domain of from>`: the same key always gives the same Message-ID. */
function messageIdFor(key: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'bulwark.invalid';
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}.bulwark@${domain}>`;
}

export const notifyEmail: Action<EmailParams, null> = {
  name: 'notify.email',
  description: 'E-mail the incident summary, latest alerts, link and the step text (text and HTML) through the configured SMTP relay.',
  params: Params,
  rbac: [],
  limited: false,
  example: { to: ['oncall@example.com'], subject: 'Pod quarantined in payments', text: 'Bulwark quarantined the pod; please review.' },

  async run(ctx, input) {
    const params = Params.parse(input);
    const smtp = smtpSettings(ctx);
    const n = await buildNotification(ctx, { title: params.subject, text: params.text });
    const subject = oneLine(params.subject ?? n.title);
    const text = renderText(n);
    const html = renderHtml(n);
    const headers: Record<string, string> = ctx.idempotencyKey ? { [IDEMPOTENCY_HEADER]: ctx.idempotencyKey } : {};
    const messageId = ctx.idempotencyKey ? messageIdFor(ctx.idempotencyKey, smtp.from) : undefined;
    const recipients = [...params.to, ...(params.cc ?? [])];
    const plan: PlannedChange[] = [
      {
        kind: 'create',
        target: `mail to ${recipients.join(', ')} via ${smtp.host}:${smtp.port}`,
        detail: { from: smtp.from, to: params.to, cc: params.cc ?? [], subject, headers, ...(messageId ? { messageId } : {}), text },
      },
    ];
    if (ctx.dryRun) return { changed: false, summary: `would e-mail ${recipients.join(', ')}: ${subject}`, plan, undo: null };

    const secrets: string[] = [];
    let auth: { user: string; pass: string } | undefined;
    if (smtp.user) {
      if (!smtp.passwordRef) throw new BulwarkError('BWK_CONFIG_INVALID', 'smtp.user is set without smtp.passwordRef', { field: 'smtp.passwordRef' });
      const pass = readSecret(ctx, smtp.passwordRef, 'smtp.passwordRef');
      secrets.push(pass);
      auth = { user: smtp.user, pass };
    }
    const options: SMTPTransportOptions = {
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure ?? false,
      requireTLS: smtp.requireTls ?? false,
      ...(auth ? { auth } : {}),
      tls: {
        ...(smtp.caFile ? { ca: readFileSync(smtp.caFile, 'utf8') } : {}),
        rejectUnauthorized: !smtp.insecureSkipVerify,
        minVersion: 'TLSv1.2',
      },
      connectionTimeout: SMTP_TIMEOUT_MS,
      greetingTimeout: SMTP_TIMEOUT_MS,
      socketTimeout: SMTP_TIMEOUT_MS,
    };
    const transport = nodemailer.createTransport(options);
    try {
      const info: SMTPSentMessageInfo = await transport.sendMail({
        from: smtp.from,
        to: params.to,
        ...(params.cc?.length ? { cc: params.cc } : {}),
        subject,
        text,
        html,
        headers,
        ...(messageId ? { messageId } : {}),
      });
      const accepted = [...info.accepted];
      return {
        changed: true,
        summary: `e-mailed ${accepted.join(', ')}: ${subject}`,
        plan,
        undo: null,
        outputs: { message_id: info.messageId, accepted },
      };
    } catch (err) {
      throw new OutboundError(redact(`notify.email: sending through ${smtp.host}:${smtp.port} failed: ${(err as Error).message}`, secrets));
    } finally {
      transport.close();
    }
  },

  async undo() {
    return noUndo('sent mail cannot be recalled');
  },
};
