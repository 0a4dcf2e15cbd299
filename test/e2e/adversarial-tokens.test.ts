// services: process
/**
 * Tokens under attack (docs/ARCHITECTURE.md, "Bulwark's own secrets"): the attacker's moves against Bulwark's own
 * credentials, on the real `npm start` process.
 * - A leaked bootstrap token, revoked by an admin, must stay revoked when the process restarts with the same secret
 *   still in its environment (the legitimate path: a newly configured bootstrap secret is installed).
 * - The admin token minted on a first start never reaches the process's log stream, which a container runtime ships
 *   and Bulwark itself may ingest and let any `read` token search.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';

describe('adversarial: Bulwark tokens', () => {
  const dirs: string[] = [];
  const running: BulwarkProcess[] = [];
  after(async () => {
    for (const p of running) await p.stop({ keepData: true });
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const newDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-adv-tokens-'));
    dirs.push(dir);
    return dir;
  };
  const start = async (dir: string, adminToken: string): Promise<BulwarkProcess> => {
    const p = await startBulwark({ dir, adminToken, env: { BULWARK_CORRELATOR: 'false', BULWARK_RESPONDER: 'false' } });
    running.push(p);
    return p;
  };

  it('a revoked bootstrap token stays revoked across a restart; a newly configured one is installed', async () => {
    const dir = newDir();
    const leaked = `bwk_bootstrap_${'l'.repeat(40)}`;
    const first = await start(dir, leaked);
    // The admin mints a personal admin token, then retires the leaked bootstrap secret.
    const personal = await first.mint('alice-admin', ['admin']);
    const list = await first.get<{ items: Array<{ id: string; name: string }> }>('/v1/tokens');
    const bootstrap = list.items.find((t) => t.name === 'bootstrap-admin');
    assert.ok(bootstrap, 'the bootstrap token was installed on the first start');
    assert.equal((await first.fetch(`/v1/tokens/${bootstrap.id}`, { method: 'DELETE', token: personal.token })).status, 204);
    assert.equal((await first.fetch('/v1/tokens', { token: leaked })).status, 401, 'revoked at once');
    await first.stop({ keepData: true });

    // The attacker still holds the secret, and the manifest still configures it: the restart must not revive it.
    const second = await start(dir, leaked);
    const refused = await second.fetch('/v1/tokens', { token: leaked });
    assert.equal(refused.status, 401, 'the revoked bootstrap token is not re-installed');
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'BWK_AUTH_INVALID');
    assert.match(second.output(), /bootstrap token was revoked/);
    assert.equal((await second.fetch('/v1/tokens', { token: personal.token })).status, 200, 'the other admin still works');
    await second.stop({ keepData: true });

    // The legitimate path: an operator configures a new bootstrap secret; it is installed.
    const fresh = `bwk_bootstrap_${'f'.repeat(40)}`;
    const third = await start(dir, fresh);
    assert.equal((await third.fetch('/v1/tokens', { token: fresh })).status, 200);
    assert.equal((await third.fetch('/v1/tokens', { token: leaked })).status, 401);
  });

  it('the admin token minted at a first start is not on the log stream, and is searchable nowhere', async () => {
    const dir = newDir();
    // No bootstrap token configured: the process mints one. startBulwark always sets one, so start without it here.
    const p = await startBulwark({ dir, env: { BULWARK_BOOTSTRAP_TOKEN: '', BULWARK_CORRELATOR: 'false', BULWARK_RESPONDER: 'false' } });
    running.push(p);
    const secret = readFileSync(join(dir, 'initial-admin-token'), 'utf8').trim();
    assert.match(secret, /^bwk_/);
    assert.ok(!p.output().includes(secret), 'stdout/stderr (the log stream a runtime ships) never hold the secret');
    // Were the log stream shipped into Bulwark, a reader would find only the file's path.
    const lines = p.output().split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.some((l) => l.includes('initial-admin-token')), 'the log names where the token is');
    assert.equal((await p.fetch('/v1/tokens', { token: secret })).status, 200, 'the handed-over token works');
  });
});
