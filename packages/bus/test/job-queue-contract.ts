/**
 * The JobQueue contract (src/jobs/port.ts): what every adapter must do, run against the real engine (a SQLite file,
 * the real Redis). Each scope is one private queue; "another consumer" is another queue object on the same backend,
 * as another process would open it, and a crash is `abandon()`: no acknowledgement, no lock release.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { BulwarkError } from '@bulwark/schema';
import type { JobFailure, JobQueue, JobQueueSettings } from '../src/index.js';
import type { JobChildSpec } from './job-consumer-child.js';

export interface Job {
  n: number;
}

/** A queue object the suite can also crash. */
export type CrashableQueue = JobQueue<Job> & { abandon(): Promise<void> };

export interface JobQueueScope {
  /** A new queue object on this scope's backend and queue name, with the contract's test settings plus `settings`. */
  open(settings?: JobQueueSettings<Job>): CrashableQueue;
  /** A queue object whose backend cannot take a job now (Redis unreachable; the SQLite file write-locked elsewhere). */
  unreachable(settings: JobQueueSettings<Job>): Promise<{ queue: CrashableQueue; restore(): Promise<void> }>;
  /** How `job-consumer-child.ts` opens this scope's queue in another process (with the contract's settings). */
  childQueue(): JobChildSpec;
  /** Close everything the scope opened and delete its data. */
  cleanup(): Promise<void>;
}

/** Short enough to keep the suite fast, long enough for a loaded 2-core machine to renew locks in time. */
export const CONTRACT_SETTINGS = { attempts: 3, backoffMs: 20, maxBackoffMs: 100, lockDurationMs: 1000, addTimeoutMs: 3000 } as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function counter(): { runs: Map<number, number>; add(job: Job): void; total(): number } {
  const runs = new Map<number, number>();
  return {
    runs,
    add: (job) => void runs.set(job.n, (runs.get(job.n) ?? 0) + 1),
    total: () => [...runs.values()].reduce((a, b) => a + b, 0),
  };
}

const jobs = (count: number, from = 0): Job[] => Array.from({ length: count }, (_, i) => ({ n: from + i }));

export function runJobQueueContract(adapter: string, newScope: () => Promise<JobQueueScope>): void {
  describe(`JobQueue contract: ${adapter}`, () => {
    const scopes: JobQueueScope[] = [];
    const scope = async () => {
      const s = await newScope();
      scopes.push(s);
      return s;
    };
    after(async () => {
      for (const s of scopes) await s.cleanup();
    });

    it('runs every job once, including jobs added before any consumer started', async () => {
      const s = await scope();
      const producer = s.open();
      for (const job of jobs(5)) await producer.add(job);
      const consumer = s.open();
      const got = counter();
      await consumer.process(async (job) => got.add(job));
      for (const job of jobs(5, 5)) await producer.add(job);
      await waitFor('ten jobs', () => got.runs.size === 10);
      await sleep(200);
      assert.deepEqual([...got.runs.keys()].sort((a, b) => a - b), jobs(10).map((j) => j.n));
      assert.equal(got.total(), 10, 'no job ran twice');
    });

    it('shares the queue between two consumers: each job run by one of them, never by two at once', async () => {
      const s = await scope();
      const got = counter();
      const inHand = new Set<number>();
      const perConsumer = [0, 0];
      const handler = (c: number) => async (job: Job) => {
        assert.ok(!inHand.has(job.n), `job ${job.n} in two consumers' hands at once`);
        inHand.add(job.n);
        await sleep(10);
        inHand.delete(job.n);
        perConsumer[c]!++;
        got.add(job);
      };
      await s.open().process(handler(0), { concurrency: 2 });
      await s.open().process(handler(1), { concurrency: 2 });
      const producer = s.open();
      for (const job of jobs(30)) await producer.add(job);
      await waitFor('thirty jobs', () => got.runs.size === 30);
      await sleep(200);
      assert.equal(got.total(), 30, 'no job ran twice');
      assert.ok(perConsumer[0]! > 0 && perConsumer[1]! > 0, `both consumers worked: ${perConsumer.join(' / ')}`);
    });

    it('never runs more jobs at once than the concurrency', async () => {
      const s = await scope();
      const queue = s.open();
      let active = 0;
      let most = 0;
      const got = counter();
      for (const job of jobs(12)) await queue.add(job);
      await queue.process(
        async (job) => {
          most = Math.max(most, ++active);
          await sleep(40);
          active--;
          got.add(job);
        },
        { concurrency: 3 },
      );
      await waitFor('twelve jobs', () => got.runs.size === 12);
      assert.equal(most, 3, 'three at once, never more');
    });

    it('retries a job whose handler threw, with back-off, until it succeeds', async () => {
      const s = await scope();
      const failures: JobFailure<Job>[] = [];
      const queue = s.open({ onError: (_err, failure) => failure && failures.push(failure) });
      const tries: number[] = [];
      let done = false;
      await queue.process(async () => {
        tries.push(Date.now());
        if (tries.length < 3) throw new Error('handler failure (expected by the test)');
        done = true;
      });
      await queue.add({ n: 1 });
      await waitFor('the third run', () => done);
      assert.deepEqual(failures.map((f) => [f.data.n, f.attempt, f.final]), [[1, 1, false], [1, 2, false]]);
      // Back-off 20 ms then 40 ms: the retries are not immediate.
      assert.ok(tries[1]! - tries[0]! >= 15 && tries[2]! - tries[1]! >= 30, `retry gaps ${tries[1]! - tries[0]!} and ${tries[2]! - tries[1]!} ms`);
      await sleep(300);
      assert.equal(tries.length, 3, 'a job that succeeded is not run again');
    });

    it('fails a job for good after `attempts` runs that threw, and keeps running the others', async () => {
      const s = await scope();
      const failures: JobFailure<Job>[] = [];
      const queue = s.open({ onError: (_err, failure) => failure && failures.push(failure) });
      const got = counter();
      await queue.process(async (job) => {
        got.add(job);
        if (job.n === 1) throw new Error('always fails (expected by the test)');
      });
      await queue.add({ n: 1 });
      await waitFor('the final failure', () => failures.some((f) => f.final));
      await queue.add({ n: 2 });
      await waitFor('the next job', () => got.runs.has(2));
      await sleep(500);
      assert.equal(got.runs.get(1), CONTRACT_SETTINGS.attempts, 'run exactly `attempts` times, then never again');
      assert.deepEqual(failures.map((f) => [f.attempt, f.final]), [[1, false], [2, false], [3, true]]);
    });

    it('does not hand out a delayed job before its delay has passed', async () => {
      const s = await scope();
      const queue = s.open();
      const ranAt = new Map<number, number>();
      await queue.process(async (job) => void ranAt.set(job.n, Date.now()));
      const start = Date.now();
      await queue.add({ n: 1 }, { delayMs: 800 });
      await queue.add({ n: 2 });
      await waitFor('the delayed job', () => ranAt.has(1));
      assert.ok(ranAt.get(2)! < ranAt.get(1)!, 'the undelayed job ran first');
      assert.ok(ranAt.get(1)! - start >= 790, `ran ${ranAt.get(1)! - start} ms after a delay of 800 ms`);
    });

    it('gives a crashed consumer\'s job to another consumer after the lock runs out', async () => {
      const s = await scope();
      const crashed = s.open();
      let release!: (err: Error) => void;
      const hung = new Promise<never>((_, reject) => (release = reject));
      hung.catch(() => {});
      let taken = 0;
      await crashed.process(async () => {
        taken = Date.now();
        await hung;
      });
      await crashed.add({ n: 7 });
      await waitFor('the first consumer to take the job', () => taken > 0);
      await crashed.abandon();
      const next = s.open();
      let recoveredAt = 0;
      await next.process(async (job) => {
        assert.equal(job.n, 7);
        recoveredAt = Date.now();
      });
      await waitFor('another consumer to take the job', () => recoveredAt > 0, 10_000);
      assert.ok(recoveredAt - taken >= CONTRACT_SETTINGS.lockDurationMs * 0.9, `taken again ${recoveredAt - taken} ms after, before the lock ran out`);
      release(new Error('the crashed consumer wakes up after the test (expected)'));
    });

    it('gives the job of a consumer process killed with SIGKILL mid-job to another consumer', async () => {
      const s = await scope();
      await s.open().add({ n: 9 });
      const script = fileURLToPath(new URL('./job-consumer-child.ts', import.meta.url));
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, JSON.stringify(s.childQueue())], { stdio: ['ignore', 'pipe', 'inherit'] });
      let took = false;
      for await (const line of createInterface({ input: child.stdout! })) {
        if (line === 'took 9') {
          took = true;
          break;
        }
      }
      assert.ok(took, 'the child took the job before it was killed');
      child.kill('SIGKILL');
      const next = s.open();
      const got: number[] = [];
      await next.process(async (job) => void got.push(job.n));
      await waitFor('the killed consumer\'s job', () => got.length === 1, 10_000);
      await sleep(200);
      assert.deepEqual(got, [9], 'run once more, by the next consumer');
    });

    it('keeps a job that runs longer than the lock with its live consumer (the lock is renewed)', async () => {
      const s = await scope();
      const got = counter();
      // A longer lock than the other cases: renewal runs every third of it, so only an event loop stalled for more
      // than two thirds of the lock (seen at ~0.7 s on a loaded 2-core machine with a 1 s lock) looks like a dead
      // consumer; what this case proves is renewal, not how fast a stall is noticed.
      const lock = { lockDurationMs: 2500 };
      const slow = async (job: Job) => {
        got.add(job);
        await sleep(lock.lockDurationMs * 2.5);
      };
      await s.open(lock).process(slow);
      await s.open(lock).process(slow);
      await s.open(lock).add({ n: 1 });
      await waitFor('the job to start', () => got.runs.size === 1);
      await sleep(lock.lockDurationMs * 3);
      assert.equal(got.runs.get(1), 1, 'a live consumer keeps its job');
    });

    it('bounds add in time when the backend cannot take the job, with a catalogue error', async () => {
      const s = await scope();
      const { queue, restore } = await s.unreachable({ addTimeoutMs: 400 });
      const start = Date.now();
      const error = await queue.add({ n: 1 }).then(
        () => assert.fail('add resolved while the backend could not take the job'),
        (err: unknown) => err,
      );
      const elapsed = Date.now() - start;
      assert.ok(error instanceof BulwarkError, `a catalogue error, got ${String(error)}`);
      assert.equal(error.code, 'BWK_BUS_UNAVAILABLE');
      assert.equal(error.status, 503);
      assert.equal(typeof error.details?.queue, 'string');
      assert.ok(elapsed >= 350 && elapsed < 2000, `gave up after ${elapsed} ms with a 400 ms bound`);
      await restore();
    });

    it('lets close finish the job in hand, then refuses adds with a catalogue error', async () => {
      const s = await scope();
      const queue = s.open();
      let started = false;
      let finished = false;
      await queue.process(async () => {
        started = true;
        await sleep(300);
        finished = true;
      });
      await queue.add({ n: 1 });
      await waitFor('the job to start', () => started);
      await queue.close();
      assert.ok(finished, 'close waited for the job in hand');
      await assert.rejects(queue.add({ n: 2 }), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_BUS_UNAVAILABLE' && err.details?.closed === true);
      const again = s.open();
      const got = counter();
      await again.process(async (job) => got.add(job));
      await sleep(300);
      assert.equal(got.total(), 0, 'the finished job was acknowledged, not left for the next consumer');
    });
  });
}
