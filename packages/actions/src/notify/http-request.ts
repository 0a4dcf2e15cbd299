/**
 * `http.request`: one HTTP call to an allowed host (an internal API, a ticketing system, an identity provider), with
 * the guards of `outbound.ts` (allowlist, every resolved address checked and pinned, no redirects, one deadline).
 * Credentials come from secret references and never appear in the plan, summary, outputs or errors. A dry run shows
 * the request (secrets redacted) and sends nothing. A request cannot be taken back: undo does nothing.
 */
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import type { Action, ActionContext, ActionResult } from '../action.js';
import { checkHeaders, checkUrl, planOf, readSecret, redact, REDACTED, send, type OutboundRequest } from './outbound.js';

const SecretRef = z.string().min(1).max(512);

export const HttpAuthSchema = z
  .strictObject({
    /** Secret reference for `Authorization: Bearer <token>`. */
    bearer_ref: SecretRef.optional(),
    /** `Authorization: Basic`, the password from a secret reference. */
    basic: z.strictObject({ user: z.string().min(1).max(256).regex(/^[^:\r\n]*$/, 'no colon or line break'), password_ref: SecretRef }).optional(),
  })
  .refine((a) => (a.bearer_ref === undefined) !== (a.basic === undefined), 'exactly one of bearer_ref and basic');

const Params = z.strictObject({
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']),
  url: z.string().min(1).max(4096),
  headers: z.record(z.string(), z.string().max(8192)).default({}),
  /** A JSON value (sent as application/json) or a string (sent as text/plain unless a content-type header says). */
  body: z.json().optional(),
  auth: HttpAuthSchema.optional(),
  /** Statuses that count as success; default any 2xx. */
  expect_status: z.array(z.number().int().min(100).max(599)).min(1).max(32).optional(),
});
export type HttpRequestParams = z.infer<typeof Params>;
export type HttpRequestInput = z.input<typeof Params>;
export type HttpAuth = z.infer<typeof HttpAuthSchema>;

/** What `http.request` and the actions built on it send: the request with its secrets resolved and listed. */
export function buildRequest(
  ctx: ActionContext,
  p: { method: string; url: string; headers?: Record<string, string>; body?: unknown; auth?: HttpAuth | undefined; expect_status?: number[] | undefined },
): OutboundRequest {
  const headers: Record<string, string> = { ...p.headers };
  checkHeaders(headers);
  const url = checkUrl(ctx, p.url);
  const shownHeaders: Record<string, string> = { ...headers };
  const secrets: string[] = [];
  if (p.auth) {
    if (Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
      throw new BulwarkError('BWK_BAD_REQUEST', 'headers: Authorization comes from auth (a secret reference), not from headers', { field: 'headers' });
    }
    if (p.auth.bearer_ref !== undefined) {
      const token = readSecret(ctx, p.auth.bearer_ref, 'auth.bearer_ref');
      secrets.push(token);
      headers['Authorization'] = `Bearer ${token}`;
      shownHeaders['Authorization'] = `Bearer ${REDACTED}`;
    } else if (p.auth.basic) {
      const password = readSecret(ctx, p.auth.basic.password_ref, 'auth.basic.password_ref');
      const encoded = Buffer.from(`${p.auth.basic.user}:${password}`).toString('base64');
      secrets.push(password, encoded);
      headers['Authorization'] = `Basic ${encoded}`;
      shownHeaders['Authorization'] = `Basic ${REDACTED} (user ${p.auth.basic.user})`;
    }
  }
  let body: string | undefined;
  const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
  if (p.body !== undefined) {
    body = typeof p.body === 'string' ? p.body : JSON.stringify(p.body);
    if (!hasType) headers['Content-Type'] = shownHeaders['Content-Type'] = typeof p.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  }
  if (ctx.idempotencyKey) shownHeaders['Idempotency-Key'] = ctx.idempotencyKey;
  return {
    method: p.method,
    url,
    shownUrl: url.href,
    headers,
    shownHeaders,
    ...(body !== undefined ? { body, shownBody: p.body } : {}),
    ...(p.expect_status ? { expectStatus: p.expect_status } : {}),
    secrets,
  };
}

/** Sends (or, in a dry run, only plans) a built request; the result every HTTP action returns. */
export async function runRequest(ctx: ActionContext, req: OutboundRequest, summary: { done: (status: number) => string; dry: string }): Promise<ActionResult<null>> {
  const plan = [planOf(req)];
  if (ctx.dryRun) return { changed: false, summary: redact(summary.dry, req.secrets), plan, undo: null };
  const res = await send(ctx, req);
  return {
    changed: true,
    summary: redact(summary.done(res.status), req.secrets),
    plan,
    undo: null,
    outputs: redact({ status: res.status, body: res.body, ...(res.truncated ? { truncated: true } : {}) }, req.secrets),
  };
}

export const noUndo = (what: string): ActionResult<null> => ({ changed: false, summary: `nothing to undo: ${what}`, plan: [], undo: null });

export const httpRequest: Action<HttpRequestParams, null, HttpRequestInput> = {
  name: 'http.request',
  description: 'Send one HTTP request to an allowlisted host (SSRF-checked, no redirects, secrets from references); outputs status and body.',
  params: Params,
  rbac: [],
  example: {
    method: 'POST',
    url: 'https://tickets.example.com/api/issues',
    headers: { Accept: 'application/json' },
    body: { title: 'Bulwark incident', priority: 'high' },
    auth: { bearer_ref: 'env:TICKETS_TOKEN' },
    expect_status: [200, 201],
  },

  async run(ctx, input) {
    const params = Params.parse(input);
    const req = buildRequest(ctx, params);
    return runRequest(ctx, req, { done: (status) => `sent ${params.method} ${req.shownUrl}: ${status}`, dry: `would send ${params.method} ${req.shownUrl}` });
  },

  async undo() {
    return noUndo('an HTTP request cannot be taken back');
  },
};
