/**
 * `credentials.revokeExternal` against a real local server standing in for an identity provider: the authenticated
 * call arrives (bearer token from the secret, Idempotency-Key), the summary names the subject and says undo cannot
 * restore it, the token is nowhere in plan/summary/outputs/errors, the allowlist applies, dry run sends nothing.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { BulwarkError } from '@bulwark/schema';
import { recordingServerPerSuite, type RecordingServer } from '../../../test/support/recording-server.js';
import { ACTIONS, revokeExternal, type ActionContext, type KubeClients } from '../src/index.js';

const IDP_TOKEN = 'idp-admin-token-3c9e77a1';

function context(extra: Partial<ActionContext> = {}): ActionContext {
  return {
    kube: {} as KubeClients,
    http: { allowHosts: ['127.0.0.1'], allowCidrs: ['127.0.0.0/8'] },
    secret: (ref) => {
      if (ref === 'file:/run/secrets/idp-token') return `${IDP_TOKEN}\n`; // as read from a file: trailing newline
      throw new Error(`no secret ${ref}`);
    },
    idempotencyKey: 'run-5/revoke-idp',
    ...extra,
  };
}

describe('credentials.revokeExternal', () => {
  const recording = recordingServerPerSuite();
  let server: RecordingServer;
  beforeEach(() => (server = recording()));

  it('is registered in the notify family, needs no RBAC, and counts against the limits', () => {
    assert.equal(ACTIONS.get('credentials.revokeExternal'), revokeExternal);
    assert.deepEqual(revokeExternal.rbac, []);
    assert.notEqual(revokeExternal.limited, false);
  });

  it('calls the identity provider with the bearer token (POST by default) and says it cannot be undone', async () => {
    server.respond({ status: 200, body: { revoked: true } });
    const result = await revokeExternal.run(context(), {
      url: `${server.url}/api/v1/users/alice/sessions/revoke`,
      body: { reason: 'bulwark incident inc-1' },
      auth_ref: 'file:/run/secrets/idp-token',
      subject: 'alice@example.com',
    });
    const [req] = await server.waitFor(1);
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/api/v1/users/alice/sessions/revoke');
    assert.equal(req!.headers.authorization, `Bearer ${IDP_TOKEN}`);
    assert.equal(req!.headers['idempotency-key'], 'run-5/revoke-idp');
    assert.deepEqual(req!.body, { reason: 'bulwark incident inc-1' });
    assert.equal(result.changed, true);
    assert.equal(result.undo, null);
    assert.match(result.summary, /^revoked alice@example\.com at 127\.0\.0\.1:\d+ \(POST .*: 200\); not restorable by undo$/);
    assert.deepEqual(result.outputs, { status: 200, body: { revoked: true }, subject: 'alice@example.com' });
    assert.ok(!JSON.stringify(result).includes(IDP_TOKEN));

    const undone = await revokeExternal.undo(context(), null);
    assert.equal(undone.changed, false);
    assert.match(undone.summary, /not restored/);
  });

  it('DELETE, and an IdP error does not show the token', async () => {
    server.respond((req) => ({ status: 403, body: { error: 'forbidden', token: String(req.headers.authorization) } }));
    const err = await revokeExternal
      .run(context(), { url: `${server.url}/api/v1/tokens/tok-1`, method: 'DELETE', auth_ref: 'file:/run/secrets/idp-token', subject: 'token tok-1' })
      .then(
        () => assert.fail('a 403 is an error'),
        (e: unknown) => e as Error,
      );
    assert.match(err.message, /DELETE http:\/\/127\.0\.0\.1:\d+\/api\/v1\/tokens\/tok-1 answered 403/);
    assert.ok(!err.message.includes(IDP_TOKEN) && !String(err.stack).includes(IDP_TOKEN));
    assert.equal((await server.waitFor(1))[0]!.method, 'DELETE');
  });

  it('dry run: the plan shows the request with the token redacted, nothing is sent', async () => {
    const result = await revokeExternal.run(context({ dryRun: true }), {
      url: `${server.url}/api/v1/users/bob/sessions`,
      method: 'DELETE',
      auth_ref: 'file:/run/secrets/idp-token',
      subject: 'bob',
    });
    assert.equal(result.changed, false);
    assert.match(result.summary, /^would revoke bob at /);
    assert.equal((result.plan[0]!.detail as { headers: Record<string, string> }).headers['Authorization'], 'Bearer [redacted]');
    assert.ok(!JSON.stringify(result).includes(IDP_TOKEN));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.requests.length, 0);
  });

  it('uses the http.request allowlist and SSRF checks', async () => {
    await assert.rejects(
      revokeExternal.run(context({ http: { allowHosts: ['idp.example.com'] } }), { url: `${server.url}/x`, auth_ref: 'file:/run/secrets/idp-token', subject: 's' }),
      (e: unknown) => e instanceof BulwarkError && e.details?.field === 'url' && /not in http\.allowHosts/.test(e.message),
    );
    await assert.rejects(
      revokeExternal.run(context({ http: { allowHosts: ['127.0.0.1'] } }), { url: `${server.url}/x`, auth_ref: 'file:/run/secrets/idp-token', subject: 's' }),
      /loopback/,
    );
    assert.equal(server.requests.length, 0);
  });
});
