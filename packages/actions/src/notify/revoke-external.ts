/**
 * `credentials.revokeExternal`: revokes a user's sessions or a token at an external identity provider (Okta, Entra
 * ID, Keycloak, GitHub, …) with one authenticated HTTP call — `http.request` underneath, so the same allowlist, SSRF
 * guards, deadline and secret handling. The bearer token comes from `auth_ref`; `subject` names what is revoked, for
 * the summary and audit. There is no undo: a revoked external credential is not restored (the summary says so).
 */
import { z } from 'zod';
import type { Action } from '../action.js';
import { buildRequest, noUndo, runRequest } from './http-request.js';

const Params = z.strictObject({
  url: z.string().min(1).max(4096),
  method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  body: z.json().optional(),
  /** Secret reference for the identity provider's API token (`Authorization: Bearer`). */
  auth_ref: z.string().min(1).max(512),
  /** The user, session or token being revoked (shown in the summary). */
  subject: z.string().min(1).max(512),
  expect_status: z.array(z.number().int().min(100).max(599)).min(1).max(32).optional(),
});
export type RevokeExternalParams = z.infer<typeof Params>;
export type RevokeExternalInput = z.input<typeof Params>;

export const revokeExternal: Action<RevokeExternalParams, null, RevokeExternalInput> = {
  name: 'credentials.revokeExternal',
  description: "Revoke a user's sessions or a token at an external identity provider with one authenticated HTTP call (no undo).",
  params: Params,
  rbac: [],
  example: {
    url: 'https://example.okta.com/api/v1/users/00u1abcd/sessions',
    method: 'DELETE',
    auth_ref: 'file:/var/run/secrets/bulwark/okta-token',
    subject: 'alice@example.com',
  },

  async run(ctx, input) {
    const params = Params.parse(input);
    const req = buildRequest(ctx, {
      method: params.method,
      url: params.url,
      body: params.body,
      auth: { bearer_ref: params.auth_ref },
      expect_status: params.expect_status,
    });
    const where = req.url.host;
    const result = await runRequest(ctx, req, {
      done: (status) => `revoked ${params.subject} at ${where} (${params.method} ${req.shownUrl}: ${status}); not restorable by undo`,
      dry: `would revoke ${params.subject} at ${where} (${params.method} ${req.shownUrl}); not restorable by undo`,
    });
    return { ...result, outputs: { ...result.outputs, subject: params.subject } };
  },

  async undo() {
    return noUndo('a revoked external credential is not restored; issue a new one at the identity provider if needed');
  },
};
