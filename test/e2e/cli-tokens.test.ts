// services: process
/**
 * `bulwark tokens create|list|revoke` against a running Bulwark (in-process harness, real HTTP): a restricted token is
 * minted with its sources and works where its source is spoken for, is listed, and stops working once revoked; the
 * help explains the trust model; bad option values are usage errors (exit 2) before anything is sent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../packages/cli/src/main.js';
import { startHarness, type Harness } from '../support/harness.js';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) }, env });
  return { code, stdout, stderr };
}

describe('bulwark tokens', () => {
  let h: Harness;
  let env: Record<string, string>;
  before(async () => {
    h = await startHarness();
    env = { BULWARK_URL: h.url, BULWARK_TOKEN: h.tokens.admin };
  });
  after(async () => h.close());

  it('--help explains scopes, sources and what needs a person', async () => {
    const { code, stdout } = await cli(['tokens', '--help']);
    assert.equal(code, 0);
    for (const word of ['ingest', 'alerts', 'read', 'respond', 'approve', 'admin', 'k8s-audit', 'falco', 'logs', 'BWK_AUTH_SOURCE_FORBIDDEN', 'bulwark.provenance', 'cannot approve']) {
      assert.ok(stdout.includes(word), `help mentions ${word}`);
    }
  });

  it('create with --sources, list, revoke', async () => {
    const created = await cli(['tokens', 'create', '--name', 'falco-node-a', '--scopes', 'ingest', '--sources', 'falco', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const minted = JSON.parse(created.stdout) as { id: string; token: string; sources: string[] };
    assert.deepEqual(minted.sources, ['falco']);
    const onFalco = await h.fetch('/v1/ingest/falco', { method: 'POST', token: minted.token, body: '{}' });
    assert.notEqual(onFalco.status, 403);
    assert.equal((await h.fetch('/v1/ingest/k8s-audit', { method: 'POST', token: minted.token, body: '{}' })).status, 403);

    const list = await cli(['tokens', 'list'], env);
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(`${minted.id}  falco-node-a  scopes=ingest  sources=falco .* active`));
    assert.match(list.stdout, /test-read  scopes=read  sources=unrestricted/);

    const revoked = await cli(['tokens', 'revoke', minted.id], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `revoked token ${minted.id}\n`);
    assert.equal((await h.fetch('/v1/ingest/falco', { method: 'POST', token: minted.token, body: '{}' })).status, 401);
    const again = await cli(['tokens', 'list'], env);
    assert.match(again.stdout, new RegExp(`${minted.id}  falco-node-a .* revoked `));
  });

  it('bad values are usage errors; API refusals are printed with their code', async () => {
    const badSource = await cli(['tokens', 'create', '--name', 'x', '--scopes', 'ingest', '--sources', 'syslog'], env);
    assert.equal(badSource.code, 2);
    assert.match(badSource.stderr, /--sources 'syslog': one of k8s-audit, falco, logs, alertmanager, external/);
    assert.equal((await cli(['tokens', 'create', '--scopes', 'ingest'], env)).code, 2);
    assert.equal((await cli(['tokens', 'rotate'], env)).code, 2);
    const notAdmin = await cli(['tokens', 'list'], { BULWARK_URL: h.url, BULWARK_TOKEN: h.tokens.read });
    assert.equal(notAdmin.code, 1);
    assert.match(notAdmin.stderr, /BWK_AUTH_FORBIDDEN/);
    const missing = await cli(['tokens', 'revoke', 'nope'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /BWK_NOT_FOUND/);
  });
});
