// services: redis
/**
 * BullmqJobQueue on a real Redis (`test/services/up redis`): the shared JobQueue contract (another consumer is another
 * queue object, as another responder process opens it); "unreachable" is a Redis address nothing listens on. Every
 * scope uses its own queue name and obliterates it afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { BullmqJobQueue } from '../src/index.js';
import { CONTRACT_SETTINGS, runJobQueueContract, type CrashableQueue, type Job, type JobQueueScope } from './job-queue-contract.js';

const REDIS_URL = process.env.REDIS_URL ?? '';
if (!REDIS_URL) {
  throw new Error('REDIS_URL is not set: run test/services/up redis && source test/.services.env');
}
const PREFIX = 'bulwark-test';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function bullmqScope(): Promise<JobQueueScope> {
  const name = `jobs-${randomBytes(4).toString('hex')}`;
  const opened: CrashableQueue[] = [];
  const open: JobQueueScope['open'] = (settings = {}) => {
    const queue = new BullmqJobQueue<Job>({ url: REDIS_URL, name, prefix: PREFIX, ...CONTRACT_SETTINGS, ...settings });
    opened.push(queue);
    return queue;
  };
  return {
    open,
    async unreachable(settings) {
      const queue = new BullmqJobQueue<Job>({ url: `redis://127.0.0.1:${await closedPort()}`, name, prefix: PREFIX, ...CONTRACT_SETTINGS, ...settings });
      return { queue, restore: () => queue.close() };
    },
    childQueue: () => ({ adapter: 'bullmq', options: { url: REDIS_URL, name, prefix: PREFIX, ...CONTRACT_SETTINGS } }),
    async cleanup() {
      for (const queue of opened) await queue.close();
      const queue = new Queue(name, { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: PREFIX });
      await queue.obliterate({ force: true });
      await queue.close();
    },
  };
}

runJobQueueContract('bullmq (Redis)', bullmqScope);

describe('BullmqJobQueue specifics', () => {
  it('keeps a failed job in Redis with the attempts it made', async () => {
    const s = await bullmqScope();
    const queue = s.open();
    let final = false;
    const failing = s.open({ onError: (_e, failure) => void (final ||= failure?.final === true) });
    await failing.process(async () => {
      throw new Error('always fails (expected by the test)');
    });
    await queue.add({ n: 1 });
    const deadline = Date.now() + 10_000;
    while (!final && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const inspect = new Queue((failing as BullmqJobQueue<Job>).name, { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: PREFIX });
    const failed = await inspect.getFailed();
    await inspect.close();
    assert.equal(failed.length, 1);
    assert.deepEqual(failed[0]!.data, { n: 1 });
    assert.equal(failed[0]!.attemptsMade, CONTRACT_SETTINGS.attempts);
    assert.equal(failed[0]!.failedReason, 'always fails (expected by the test)');
    await s.cleanup();
  });
});
