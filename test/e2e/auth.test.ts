// services: process
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../support/harness.js';

/** Every route of the all-in-one app, with the scope it needs. Health routes are the only open ones. */
const ROUTES: Array<[method: string, path: string, scope: 'ingest' | 'alerts' | 'read' | 'respond' | 'admin']> = [
  ['GET', '/', 'ingest'],
  ['HEAD', '/', 'ingest'],
  ['GET', '/_license', 'ingest'],
  ['GET', '/_xpack', 'ingest'],
  ['GET', '/_cluster/health', 'ingest'],
  ['GET', '/_cat/health', 'ingest'],
  ['HEAD', '/_index_template/logs', 'ingest'],
  ['GET', '/_index_template/logs', 'ingest'],
  ['PUT', '/_index_template/logs', 'ingest'],
  ['HEAD', '/_template/filebeat', 'ingest'],
  ['PUT', '/_template/filebeat', 'ingest'],
  ['HEAD', '/_ilm/policy/filebeat', 'ingest'],
  ['PUT', '/_ilm/policy/filebeat', 'ingest'],
  ['GET', '/_data_stream/logs-app-default', 'ingest'],
  ['PUT', '/_data_stream/logs-app-default', 'ingest'],
  ['POST', '/_bulk', 'ingest'],
  ['PUT', '/_bulk', 'ingest'],
  ['POST', '/logs-app-default/_bulk', 'ingest'],
  ['POST', '/logs-app-default/_doc', 'ingest'],
  ['PUT', '/logs-app-default/_doc/abc', 'ingest'],
  ['PUT', '/logs-app-default/_create/abc', 'ingest'],
  ['POST', '/v1/ingest/k8s-audit', 'ingest'],
  ['POST', '/v1/ingest/falco', 'ingest'],
  ['POST', '/loki/api/v1/push', 'ingest'],
  ['POST', '/v1/ingest/container-logs', 'ingest'],
  ['POST', '/v1/ingest/events', 'ingest'],
  ['GET', '/v1/search', 'read'],
  ['GET', '/v1/events/abc', 'read'],
  ['GET', '/v1/histogram', 'read'],
  ['GET', '/v1/tokens', 'admin'],
  ['POST', '/v1/tokens', 'admin'],
  ['DELETE', '/v1/tokens/abc', 'admin'],
  ['POST', '/v1/alerts', 'alerts'],
  ['POST', '/v1/ingest/alertmanager', 'alerts'],
  ['GET', '/v1/alerts', 'read'],
  ['GET', '/v1/alerts/abc', 'read'],
  ['GET', '/v1/incidents', 'read'],
  ['GET', '/v1/incidents/abc', 'read'],
  ['GET', '/v1/incidents/abc/alerts', 'read'],
  ['POST', '/v1/rules/backtest', 'read'],
  ['POST', '/v1/incidents/abc/acknowledge', 'respond'],
  ['POST', '/v1/incidents/abc/assign', 'respond'],
  ['POST', '/v1/incidents/abc/status', 'respond'],
  ['POST', '/v1/incidents/abc/comments', 'respond'],
  ['POST', '/v1/incidents/abc/tags', 'respond'],
  ['POST', '/v1/incidents/abc/merge', 'respond'],
];

describe('authentication and scopes', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('health routes need no token', async () => {
    assert.equal((await h.fetch('/healthz', { token: null })).status, 200);
    const ready = await h.fetch('/readyz', { token: null });
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, 'ready');
  });

  for (const [method, path, scope] of ROUTES) {
    it(`${method} ${path}: 401 without a token, 403 without "${scope}"`, async () => {
      const init = method === 'GET' || method === 'HEAD' ? { method } : { method, body: '{}' };
      const missing = await h.fetch(path, { ...init, token: null });
      assert.equal(missing.status, 401);
      const invalid = await h.fetch(path, { ...init, token: 'bwk_not-a-real-token' });
      assert.equal(invalid.status, 401);
      const wrongScope = scope === 'read' ? h.tokens.ingest : scope === 'ingest' ? h.tokens.read : h.tokens.ingest;
      const forbidden = await h.fetch(path, { ...init, token: wrongScope });
      assert.equal(forbidden.status, 403);
      if (method !== 'HEAD') {
        const body = (await forbidden.json()) as { error: { code: string; message: string; details: { scope: string } } };
        assert.equal(body.error.code, 'BWK_AUTH_FORBIDDEN');
        assert.equal(body.error.details.scope, scope);
        const body401 = (await missing.json()) as { error: { code: string } };
        assert.equal(body401.error.code, 'BWK_AUTH_MISSING');
      }
      const allowed = await h.fetch(path, { ...init, token: h.tokens[scope] });
      assert.ok(allowed.status !== 401 && allowed.status !== 403, `${method} ${path} with ${scope} gave ${allowed.status}`);
    });
  }

  it('the Elasticsearch surface takes the token as a Basic password or an ApiKey', async () => {
    const basic = Buffer.from(`elastic:${h.tokens.ingest}`).toString('base64');
    assert.equal((await h.fetch('/', { token: null, headers: { authorization: `Basic ${basic}` } })).status, 200);
    const apiKey = Buffer.from(`someid:${h.tokens.ingest}`).toString('base64');
    assert.equal((await h.fetch('/', { token: null, headers: { authorization: `ApiKey ${apiKey}` } })).status, 200);
    const wrong = Buffer.from(`elastic:nope`).toString('base64');
    const res = await h.fetch('/', { token: null, headers: { authorization: `Basic ${wrong}` } });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('x-elastic-product'), 'Elasticsearch');
    const body = (await res.json()) as { error: { type: string; code: string }; status: number };
    assert.equal(body.error.type, 'security_exception');
    assert.equal(body.error.code, 'BWK_AUTH_INVALID');
    // Basic is not accepted on the native API: bearer only.
    assert.equal((await h.fetch('/v1/search', { token: null, headers: { authorization: `Basic ${basic}` } })).status, 401);
  });

  it('admins mint and revoke tokens; a revoked token stops working', async () => {
    const res = await h.fetch('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fluent-bit', scopes: ['ingest'] }),
    });
    assert.equal(res.status, 201);
    const minted = (await res.json()) as { id: string; token: string };
    assert.equal((await h.fetch('/_cluster/health', { token: minted.token })).status, 200);
    const list = (await (await h.fetch('/v1/tokens')).json()) as { items: Array<Record<string, unknown>> };
    assert.ok(list.items.some((t) => t.id === minted.id));
    assert.ok(list.items.every((t) => !('hash' in t) && !('token' in t)), 'hashes and secrets are never listed');
    assert.equal((await h.fetch(`/v1/tokens/${minted.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await h.fetch('/_cluster/health', { token: minted.token })).status, 401);
    const bad = await h.fetch('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', scopes: ['root'] }),
    });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { details: { field: string } } }).error.details.field, 'scopes.0');
  });

  it('a token may be bound to a client certificate identity: listed, one live token per identity, an empty binding refused', async () => {
    const post = (body: unknown) => h.fetch('/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const binding = { subject_cn: 'kube-apiserver-audit', san_dns: 'apiserver.example' };
    const res = await post({ name: 'apiserver-mtls', scopes: ['ingest'], sources: ['k8s-audit'], client_cert: binding });
    assert.equal(res.status, 201);
    const minted = (await res.json()) as { id: string; client_cert: unknown };
    assert.deepEqual(minted.client_cert, binding);
    const list = (await (await h.fetch('/v1/tokens')).json()) as { items: Array<{ id: string; clientCert?: unknown }> };
    assert.deepEqual(list.items.find((t) => t.id === minted.id)?.clientCert, { subjectCn: 'kube-apiserver-audit', sanDns: 'apiserver.example' });
    const again = await post({ name: 'apiserver-mtls-2', scopes: ['ingest'], client_cert: { subject_cn: 'kube-apiserver-audit', san_dns: 'APISERVER.example' } });
    assert.equal(again.status, 409, 'the same identity bound twice would be ambiguous');
    assert.equal(((await again.json()) as { error: { details: { id: string } } }).error.details.id, minted.id);
    assert.equal((await h.fetch(`/v1/tokens/${minted.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await post({ name: 'apiserver-mtls-2', scopes: ['ingest'], client_cert: binding })).status, 201, 'free again once revoked');
    for (const client_cert of [{}, { subject_cn: '' }, { issuer: 'x' }]) {
      const bad = await post({ name: 'x', scopes: ['ingest'], client_cert });
      assert.equal(bad.status, 400, JSON.stringify(client_cert));
      assert.match(((await bad.json()) as { error: { details: { field: string } } }).error.details.field, /^client_cert/);
    }
  });

  it('a token may be restricted to source kinds; an unknown kind is refused naming the field', async () => {
    const res = await h.fetch('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'audit-webhook', scopes: ['ingest'], sources: ['k8s-audit', 'k8s-audit'] }),
    });
    assert.equal(res.status, 201);
    const minted = (await res.json()) as { id: string; sources: string[] };
    assert.deepEqual(minted.sources, ['k8s-audit']);
    const list = (await (await h.fetch('/v1/tokens')).json()) as { items: Array<{ id: string; name: string; sources?: string[] }> };
    assert.deepEqual(list.items.find((t) => t.id === minted.id)?.sources, ['k8s-audit']);
    assert.equal(list.items.find((t) => t.name === 'test-ingest')?.sources, undefined, 'unrestricted tokens have no sources');
    const bad = await h.fetch('/v1/tokens', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', scopes: ['ingest'], sources: ['syslog'] }),
    });
    assert.equal(bad.status, 400);
    const err = ((await bad.json()) as { error: { code: string; details: { field: string } } }).error;
    assert.equal(err.code, 'BWK_BAD_REQUEST');
    assert.equal(err.details.field, 'sources.0');
  });

  it('each ingest route refuses a token restricted to kinds it cannot speak for (403 BWK_AUTH_SOURCE_FORBIDDEN)', async () => {
    const mint = async (sources: string[]) => {
      const res = await h.fetch('/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `only-${sources.join('-')}`, scopes: ['ingest'], sources }) });
      return ((await res.json()) as { token: string }).token;
    };
    const tokens = { falco: await mint(['falco']), audit: await mint(['k8s-audit']), logs: await mint(['logs']) };
    // route → which of the restricted tokens it takes (the unrestricted ingest token is taken everywhere)
    const matrix: Array<[string, Array<keyof typeof tokens>]> = [
      ['/v1/ingest/k8s-audit', ['audit']],
      ['/v1/ingest/falco', ['falco']],
      ['/_bulk', ['logs', 'audit']],
      ['/logs-app-default/_bulk', ['logs', 'audit']],
      ['/logs-app-default/_doc', ['logs']],
      ['/loki/api/v1/push', ['logs']],
      ['/v1/ingest/container-logs', ['logs']],
      ['/v1/ingest/events', ['logs']],
    ];
    for (const [path, allowed] of matrix) {
      for (const [kind, token] of Object.entries(tokens) as Array<[keyof typeof tokens, string]>) {
        const res = await h.fetch(path, { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: '{}' });
        if (allowed.includes(kind)) {
          assert.notEqual(res.status, 403, `${path} must take a [${kind}] token`);
          continue;
        }
        assert.equal(res.status, 403, `${path} must refuse a [${kind}] token`);
        const body = (await res.json()) as { error: { code: string; details: { route: string; token_sources: string[] } } };
        assert.equal(body.error.code, 'BWK_AUTH_SOURCE_FORBIDDEN');
        assert.equal(body.error.details.token_sources.length, 1);
      }
      const unrestricted = await h.fetch(path, { method: 'POST', token: h.tokens.ingest, headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.notEqual(unrestricted.status, 403, `${path} keeps taking unrestricted ingest tokens`);
    }
  });
});
