/**
 * `notify.webhook`: tells people about the incident through a chat or paging webhook — Slack (Block Kit), Microsoft
 * Teams (an Adaptive Card message), PagerDuty (Events API v2) or plain JSON — built from the incident summary, the
 * step's text and the incident link. The URL may come from a secret reference (`url_ref`: Slack and Teams webhook URLs
 * are credentials). Same allowlist and SSRF guards as `http.request`; `Idempotency-Key` (and PagerDuty's dedup key)
 * from the step, so a retried step is recognised by the receiver.
 */
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import type { Action, ActionContext } from '../action.js';
import { noUndo, runRequest } from './http-request.js';
import { alertLine, buildNotification, incidentFacts, renderText, runLine, type Notification } from './message.js';
import { checkUrl, readSecret, REDACTED, type OutboundRequest } from './outbound.js';

export const WEBHOOK_FORMATS = ['json', 'slack', 'teams', 'pagerduty'] as const;

const Params = z
  .strictObject({
    /** The webhook URL; or `url_ref`, a secret reference holding it. Exactly one. */
    url: z.string().min(1).max(4096).optional(),
    url_ref: z.string().min(1).max(512).optional(),
    format: z.enum(WEBHOOK_FORMATS),
    /** PagerDuty: secret reference for the integration's routing key. */
    routing_key_ref: z.string().min(1).max(512).optional(),
    title: z.string().min(1).max(300).optional(),
    text: z.string().max(10_000).optional(),
  })
  .refine((p) => (p.url === undefined) !== (p.url_ref === undefined), { message: 'exactly one of url and url_ref', path: ['url'] })
  .refine((p) => p.format !== 'pagerduty' || p.routing_key_ref !== undefined, {
    message: 'routing_key_ref is required for format pagerduty',
    path: ['routing_key_ref'],
  });
export type WebhookParams = z.infer<typeof Params>;

/** Our severities to PagerDuty's four. */
export const PAGERDUTY_SEVERITY: Record<string, 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
  info: 'info',
};

/**
 * Slack mrkdwn: `&`, `<` and `>` are its control characters (`<!channel>`, `<@U123>`, `<https://x|label>`), so text
 * from alerts and incidents has them escaped; and every mrkdwn object is `verbatim`, so Slack does not turn bare
 * URLs, `@here`/`@channel` or `#channel` in that text into links or mentions either.
 */
export const mrkdwn = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/** Clips escaped text without cutting an entity (`&amp;`) in half. */
const clipEscaped = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1).replace(/&[a-z]{0,4}$/, '')}…` : s);
const slackText = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });

export function slackMessage(n: Notification): Record<string, unknown> {
  // plain_text is never parsed for mentions or links: the title needs no escaping.
  const blocks: Record<string, unknown>[] = [{ type: 'header', text: { type: 'plain_text', text: clip(n.title, 150), emoji: false } }];
  if (n.text) blocks.push({ type: 'section', text: slackText(clipEscaped(mrkdwn(n.text), 3000)) });
  if (n.incident) {
    blocks.push({
      type: 'section',
      fields: incidentFacts(n.incident)
        .slice(0, 10)
        .map(([k, v]) => slackText(clipEscaped(`*${k}*\n${mrkdwn(v)}`, 2000))),
    });
    if (n.incident.alerts.length) {
      blocks.push({
        type: 'section',
        text: slackText(clipEscaped(`*Latest alerts*\n${n.incident.alerts.map((a) => `• ${mrkdwn(alertLine(a))}`).join('\n')}`, 3000)),
      });
    }
  }
  if (n.link) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open incident' }, url: n.link, style: 'primary' }] });
  }
  if (n.run) blocks.push({ type: 'context', elements: [slackText(mrkdwn(`Bulwark: ${runLine(n.run)}`))] });
  // `text` is the notification's fallback (push notifications, screen readers), parsed as mrkdwn: escaped too.
  const fallback = [n.title, n.text, n.link].filter(Boolean).join(' — ');
  return { text: clipEscaped(mrkdwn(fallback), 3000), blocks };
}

/**
 * Teams renders a TextBlock's and a Fact's text as Markdown (`[click](https://evil)`, `**`, lists): text from alerts
 * and incidents goes into TextRuns instead, which Adaptive Cards never parse as Markdown (HTML is not rendered in
 * cards at all). Only Bulwark's own fixed labels are TextBlocks.
 */
const textRun = (text: string, style: Record<string, unknown> = {}) => ({ type: 'TextRun', text, ...style });
const richText = (inlines: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({ type: 'RichTextBlock', inlines, ...extra });

export function teamsMessage(n: Notification): Record<string, unknown> {
  const body: Record<string, unknown>[] = [richText([textRun(n.title, { size: 'Large', weight: 'Bolder' })])];
  if (n.text) body.push(richText([textRun(n.text)]));
  if (n.incident) {
    for (const [title, value] of incidentFacts(n.incident)) body.push(richText([textRun(`${title}: `, { weight: 'Bolder' }), textRun(value)], { spacing: 'None' }));
    if (n.incident.alerts.length) {
      body.push({ type: 'TextBlock', text: 'Latest alerts', weight: 'Bolder', wrap: true });
      for (const a of n.incident.alerts) body.push(richText([textRun(`• ${alertLine(a)}`)], { spacing: 'None' }));
    }
  }
  if (n.run) body.push(richText([textRun(`Bulwark: ${runLine(n.run)}`, { isSubtle: true, size: 'Small' })]));
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          ...(n.link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open incident', url: n.link }] } : {}),
        },
      },
    ],
  };
}

export function pagerDutyEvent(n: Notification, routingKey: string, dedupKey: string | undefined): Record<string, unknown> {
  const i = n.incident;
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    ...(dedupKey ? { dedup_key: clip(dedupKey, 255) } : {}),
    payload: {
      summary: clip(n.text ? `${n.title}: ${n.text}` : n.title, 1024),
      severity: i ? (PAGERDUTY_SEVERITY[i.severity] ?? 'warning') : 'info',
      source: i?.entity || 'bulwark',
      component: n.run?.playbook ?? 'bulwark',
      ...(i ? { timestamp: i.last_seen } : {}),
      custom_details: {
        ...(n.text ? { text: n.text } : {}),
        ...(i ? { incident: i } : {}),
        ...(n.run ? { run: n.run } : {}),
      },
    },
    ...(n.link ? { links: [{ href: n.link, text: 'Open the incident in Bulwark' }] } : {}),
  };
}

export function jsonMessage(n: Notification): Record<string, unknown> {
  return {
    title: n.title,
    text: n.text ?? renderText(n),
    incident: n.incident ? { ...n.incident, ...(n.link ? { url: n.link } : {}) } : null,
    run: n.run ?? null,
  };
}

function resolveUrl(ctx: ActionContext, p: WebhookParams): { url: string; shown: string; secret?: string } {
  if (p.url !== undefined) return { url: p.url, shown: p.url };
  const url = readSecret(ctx, p.url_ref!, 'url_ref');
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new BulwarkError('BWK_BAD_REQUEST', `url_ref: secret ${p.url_ref} does not hold a URL`, { field: 'url_ref' });
  }
  return { url, shown: `${origin}/${REDACTED}`, secret: url };
}

export const notifyWebhook: Action<WebhookParams, null> = {
  name: 'notify.webhook',
  description: 'Post the incident (summary, latest alerts, link) and the step text to a Slack, Teams, PagerDuty or JSON webhook.',
  params: Params,
  rbac: [],
  limited: false,
  example: { url_ref: 'env:SLACK_WEBHOOK_URL', format: 'slack', text: 'Pod quarantined; on-call please review.' },

  async run(ctx, input) {
    const params = Params.parse(input);
    const target = resolveUrl(ctx, params);
    const url = checkUrl(ctx, target.url, params.url_ref ? 'url_ref' : 'url', target.shown);
    const secrets = target.secret ? [target.secret, url.pathname + url.search] : [];
    const n = await buildNotification(ctx, params);
    let payload: Record<string, unknown>;
    let shown: Record<string, unknown>;
    switch (params.format) {
      case 'slack':
        payload = shown = slackMessage(n);
        break;
      case 'teams':
        payload = shown = teamsMessage(n);
        break;
      case 'pagerduty': {
        const key = readSecret(ctx, params.routing_key_ref!, 'routing_key_ref');
        secrets.push(key);
        const dedup = ctx.idempotencyKey ?? n.incident?.id ?? ctx.run?.incidentId;
        payload = pagerDutyEvent(n, key, dedup);
        shown = { ...payload, routing_key: REDACTED };
        break;
      }
      default:
        payload = shown = jsonMessage(n);
    }
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const req: OutboundRequest = {
      method: 'POST',
      url,
      shownUrl: target.shown,
      headers,
      shownHeaders: { ...headers, ...(ctx.idempotencyKey ? { 'Idempotency-Key': ctx.idempotencyKey } : {}) },
      body: JSON.stringify(payload),
      shownBody: shown,
      secrets: secrets.filter((s) => s.length > 1),
    };
    const about = n.incident ? ` about incident ${n.incident.id}` : '';
    return runRequest(ctx, req, {
      done: (status) => `sent a ${params.format} notification${about} to ${url.host} (${status})`,
      dry: `would send a ${params.format} notification${about} to ${url.host}`,
    });
  },

  async undo() {
    return noUndo('a sent notification cannot be recalled');
  },
};
