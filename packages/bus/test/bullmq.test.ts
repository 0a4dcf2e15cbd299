// services: redis
/**
 * BullmqBus on a real Redis (`test/services/up redis`): the shared contract, then what only BullMQ has: two bus
 * instances (two correlator processes) sharing one group, job ids that survive ids BullMQ would refuse, and groups
 * that must be configured. Every scope uses its own group names and obliterates its queues afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { BullmqBus, jobIdOf, queueNameOf, type BusBatch } from '../src/index.js';
import { makeBatches, runBusContract, waitFor, type BusScope } from './bus-contract.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) {
  throw new Error('REDIS_URL is not set: run test/services/up redis && source test/.services.env');
}
const PREFIX = 'bulwark-test';

async function bullmqScope(groupCount: number): Promise<BusScope> {
  const run = randomBytes(4).toString('hex');
  const groups = Array.from({ length: groupCount }, (_, i) => `g${i}-${run}`);
  const opened: BullmqBus[] = [];
  // Short locks so a crashed worker's job comes back within a second or two instead of BullMQ's 30 s.
  const options = { url: REDIS_URL, groups, prefix: PREFIX, lockDurationMs: 1000, stalledIntervalMs: 500 };
  const open = () => {
    const bus = new BullmqBus({ ...options, onHandlerError: () => {} });
    opened.push(bus);
    return bus;
  };
  const publisher = open();
  return {
    groups,
    open,
    publish: (batch: BusBatch) => publisher.publish(batch),
    crash: (bus) => (bus as BullmqBus).abandon(),
    childBus: () => ({ adapter: 'bullmq', options }),
    async cleanup() {
      for (const bus of opened) await bus.close();
      for (const group of groups) {
        const queue = new Queue(queueNameOf(group), { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix: PREFIX });
        await queue.obliterate({ force: true });
        await queue.close();
      }
    },
  };
}

runBusContract('bullmq (Redis)', bullmqScope);

describe('BullmqBus specifics', () => {
  const scopes: BusScope[] = [];
  after(async () => {
    for (const s of scopes) await s.cleanup();
  });

  it('shares a group between two bus instances (two processes), each batch handled once', async () => {
    const s = await bullmqScope(1);
    scopes.push(s);
    const seen = new Map<string, number>();
    const handled = [0, 0];
    const consumer = (n: number) => async (b: BusBatch) => {
      await new Promise((r) => setTimeout(r, 10));
      handled[n]!++;
      for (const e of b.events) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
    };
    await s.open().subscribe(s.groups[0]!, consumer(0), { concurrency: 2 });
    await s.open().subscribe(s.groups[0]!, consumer(1), { concurrency: 2 });
    for (const b of makeBatches(30, 2)) await s.publish(b);
    await waitFor('all events', () => seen.size === 60);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok([...seen.values()].every((n) => n === 1));
    assert.ok(handled[0]! > 0 && handled[1]! > 0, `both processes worked: ${handled.join(' / ')}`);
  });

  it('maps batch ids BullMQ would refuse (integers, colons) to distinct legal job ids', async () => {
    assert.equal(jobIdOf('42'), 'b-42');
    assert.notEqual(jobIdOf('a:b'), jobIdOf('a%3Ab'));
    assert.throws(() => jobIdOf(''), /empty/);
    const s = await bullmqScope(1);
    scopes.push(s);
    const got: string[] = [];
    await s.open().subscribe(s.groups[0]!, async (b) => void got.push(b.id));
    const [first, second] = makeBatches(2, 1);
    await s.publish({ ...first!, id: '42' });
    await s.publish({ ...second!, id: 'collector-1:77' });
    await waitFor('both', () => got.length === 2);
    assert.deepEqual(got.sort(), ['42', 'collector-1:77']);
  });

  it('refuses a subscription to a group it does not publish to, and a missing REDIS_URL', async () => {
    const s = await bullmqScope(1);
    scopes.push(s);
    await assert.rejects(s.open().subscribe('elsewhere', async () => {}), /not in this bus's groups/);
    assert.throws(() => new BullmqBus({ url: '', groups: ['g'] }), /REDIS_URL/);
  });
});
