// services: process
/**
 * The embedded store's online backup, for real: events, an incident and tokens go into a running `npm start`; while
 * ingest continues, `bulwark backup` copies the data directory; `bulwark restore` refuses the directory the process
 * holds and fills a new one; a process started on it finds every event acknowledged before the backup began (and
 * never more than was acknowledged), the incident, and the tokens still working.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { ensureBuilt } from '../support/npm-script.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The compiled `bulwark` command, as an operator runs it. */
function bulwark(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  ensureBuilt();
  const r = spawnSync(process.execPath, [join(root, 'packages/cli/bin/bulwark.mjs'), ...args], { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process: the test keeps sending while the command runs. */
async function bulwarkAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  ensureBuilt();
  const child = spawn(process.execPath, [join(root, 'packages/cli/bin/bulwark.mjs'), ...args], { cwd: root, env: { PATH: process.env.PATH } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { status, stdout, stderr };
}

async function ingest(p: BulwarkProcess, token: string, lines: string[]): Promise<number> {
  const res = await p.fetch('/v1/ingest/events', { method: 'POST', token, headers: { 'content-type': 'application/x-ndjson' }, body: lines.map((message) => JSON.stringify({ message })).join('\n') });
  if (res.status !== 200) throw new Error(`ingest: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accepted: number }).accepted;
}

async function count(p: BulwarkProcess, token: string, word: string): Promise<number> {
  return (await p.get<{ hits: unknown[] }>(`/v1/search?q=${word}&size=10000&from=now-1h`, token)).hits.length;
}

describe('backup and restore of the embedded store', () => {
  it('backs up while ingest continues; the restored data dir has every event acknowledged before, the incident and the tokens', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'bwk-backup-'));
    const backupDir = join(scratch, 'backup');
    const restoredDir = join(scratch, 'restored');
    const first = await startBulwark();
    let second: BulwarkProcess | undefined;
    try {
      const shipper = await first.mint('shipper', ['ingest']);
      const reader = await first.mint('reader', ['read']);
      const alerts = await first.mint('alertmanager-bridge', ['alerts']);
      const before = `before${randomBytes(4).toString('hex')}`;
      const during = `during${randomBytes(4).toString('hex')}`;
      let acknowledgedBefore = 0;
      for (let batch = 0; batch < 10; batch++) {
        acknowledgedBefore += await ingest(first, shipper.token, Array.from({ length: 100 }, (_, i) => `${before} batch ${batch} line ${i}`));
      }
      const now = new Date().toISOString();
      const posted = await first.fetch('/v1/alerts', {
        method: 'POST',
        token: alerts.token,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          id: `backup-${before}`,
          rule: { id: 'k8s-exec-into-pod', name: 'Exec into a pod', level: 'high', tags: [] },
          severity: 'high',
          group_key: `prod/api-0/${before}`,
          entity: { kind: 'workload', namespace: 'prod', value: 'api-0' },
          event_ids: [`ev-${before}`],
          first_seen: now,
          last_seen: now,
          source: 'api',
        }),
      });
      assert.equal(posted.status, 201, await posted.clone().text());
      const incidentId = ((await posted.json()) as { items: Array<{ incident_id: string }> }).items[0]!.incident_id;
      assert.ok(incidentId);

      // Ingest keeps going while the backup runs: the backup must neither block it nor come out torn.
      let ingesting = true;
      let acknowledgedDuring = 0;
      const stream = (async () => {
        for (let batch = 0; ingesting; batch++) {
          acknowledgedDuring += await ingest(first, shipper.token, Array.from({ length: 50 }, (_, i) => `${during} batch ${batch} line ${i}`));
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const duringBefore = acknowledgedDuring;
      const backup = await bulwarkAsync('backup', '--data-dir', first.dir, '--to', backupDir, '--json');
      const duringBackup = acknowledgedDuring - duringBefore;
      ingesting = false;
      await stream;
      assert.equal(backup.status, 0, backup.stderr);
      const manifest = JSON.parse(backup.stdout) as { files: Array<{ name: string }> };
      assert.deepEqual(manifest.files.map((f) => f.name), ['bulwark.db', 'responder-jobs.db']);
      assert.deepEqual(readdirSync(backupDir).sort(), ['bulwark.db', 'manifest.json', 'responder-jobs.db'], 'self-contained: no -wal or -shm');
      assert.ok(duringBackup > 0, 'ingest went on while the backup ran');

      const held = bulwark('restore', '--from', backupDir, '--data-dir', first.dir, '--force');
      assert.equal(held.status, 1);
      assert.match(held.stderr, /BWK_DATA_DIR_IN_USE/);

      const restored = bulwark('restore', '--from', backupDir, '--data-dir', restoredDir);
      assert.equal(restored.status, 0, restored.stderr);
      assert.ok(existsSync(join(restoredDir, 'bulwark.db')));
      const again = bulwark('restore', '--from', backupDir, '--data-dir', restoredDir);
      assert.equal(again.status, 1, 'an existing data dir is replaced only with --force');
      assert.match(again.stderr, /--force/);

      second = await startBulwark({ dir: restoredDir, adminToken: first.admin });
      assert.equal(await count(second, reader.token, before), acknowledgedBefore, 'every event acknowledged before the backup began');
      const afterwards = await count(second, reader.token, during);
      assert.ok(afterwards <= acknowledgedDuring, `no more than was acknowledged during the backup (${afterwards} of ${acknowledgedDuring})`);
      const incident = await second.fetch(`/v1/incidents/${incidentId}`, { token: reader.token });
      assert.equal(incident.status, 200, 'the incident, read with a token minted before the backup');
      assert.equal(await ingest(second, shipper.token, [`${before} after the restore`]), 1, 'the ingest token still works');
      assert.equal((await second.fetch('/v1/search?q=x', { token: `bwk_${randomBytes(24).toString('hex')}` })).status, 401);
    } finally {
      await second?.stop();
      await first.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('refuses a damaged backup before it touches the data dir', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'bwk-backup-bad-'));
    try {
      const r = bulwark('restore', '--from', scratch, '--data-dir', join(scratch, 'data'));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /BWK_BACKUP_INVALID: .*manifest\.json/);
      assert.ok(!existsSync(join(scratch, 'data', 'bulwark.db')));
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
