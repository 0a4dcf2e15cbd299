/**
 * LocalJobQueue on a real SQLite file: the shared JobQueue contract (another consumer is another queue object on the
 * same file, as another process opens it), then what only the table has: failed jobs kept on disk and a queue that
 * survives a restart of the process.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openDatabase } from '@bulwark/store';
import { LocalJobQueue } from '../src/index.js';
import { CONTRACT_SETTINGS, runJobQueueContract, waitFor, type CrashableQueue, type Job, type JobQueueScope } from './job-queue-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-jobs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function localScope(): Promise<JobQueueScope & { path: string }> {
  const path = join(dir, `jobs-${++files}.db`);
  const opened: CrashableQueue[] = [];
  const open: JobQueueScope['open'] = (settings = {}) => {
    const queue = new LocalJobQueue<Job>({ path, name: 'responder', pollIntervalMs: 50, ...CONTRACT_SETTINGS, ...settings });
    opened.push(queue);
    return queue;
  };
  return {
    path,
    open,
    async unreachable(settings) {
      const queue = open(settings);
      // Another connection holds the file's write lock, as a stuck writer would.
      const holder = openDatabase({ path });
      holder.exec('BEGIN IMMEDIATE');
      return {
        queue,
        async restore() {
          holder.exec('ROLLBACK');
          holder.close();
        },
      };
    },
    childQueue: () => ({ adapter: 'local', options: { path, name: 'responder', pollIntervalMs: 50, ...CONTRACT_SETTINGS } }),
    async cleanup() {
      for (const queue of opened) await queue.close();
    },
  };
}

runJobQueueContract('local (SQLite table)', localScope);

describe('LocalJobQueue specifics', () => {
  it('keeps a failed job in the file, and hands a waiting job to the process that opens the file next', async () => {
    const s = await localScope();
    const first = s.open();
    await first.process(async () => {
      throw new Error('always fails (expected by the test)');
    });
    await first.add({ n: 1 });
    await first.add({ n: 2 }, { delayMs: 400 });
    await waitFor('the final failure', () => {
      const db = openDatabase({ path: s.path });
      const failed = db.prepare(`SELECT COUNT(*) FROM job_queue WHERE state = 'failed'`).pluck().get() as number;
      db.close();
      return failed === 1;
    });
    await first.close();
    const db = openDatabase({ path: s.path });
    const rows = db.prepare(`SELECT data, state, attempts_made, error FROM job_queue ORDER BY id`).all();
    db.close();
    assert.deepEqual(rows, [
      { data: '{"n":1}', state: 'failed', attempts_made: CONTRACT_SETTINGS.attempts, error: 'always fails (expected by the test)' },
      { data: '{"n":2}', state: 'waiting', attempts_made: 0, error: null },
    ]);
    const restarted = s.open();
    const got: number[] = [];
    await restarted.process(async (job) => void got.push(job.n));
    await waitFor('the waiting job', () => got.length === 1);
    assert.deepEqual(got, [2]);
    await s.cleanup();
  });

  it('is private to the object without a path, and refuses bad settings', async () => {
    const a = new LocalJobQueue<Job>();
    const b = new LocalJobQueue<Job>();
    const got: string[] = [];
    await a.process(async () => void got.push('a'));
    await b.process(async () => void got.push('b'));
    await a.add({ n: 1 });
    await waitFor('the job', () => got.length === 1);
    assert.deepEqual(got, ['a']);
    await assert.rejects(a.process(async () => {}), /already being processed/);
    await assert.rejects(a.add({ n: 1 }, { delayMs: -1 }), /delayMs/);
    await a.close();
    await b.close();
    assert.throws(() => new LocalJobQueue({ attempts: 0 }), /attempts must be a positive integer/);
    assert.throws(() => new LocalJobQueue({ name: 'a b' }), /job queue name/);
  });
});
