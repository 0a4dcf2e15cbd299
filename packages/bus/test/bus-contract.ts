/**
 * The Bus contract: what every adapter must do, run against the real engine (SQLite file, real Redis). Assertions are
 * on event ids rather than batch ids, because the local adapter re-batches by store order (its batches are seq
 * ranges) while BullMQ delivers the published batches as they are.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import type { SerializedEvent } from '@bulwark/store';
import type { Bus, BusBatch } from '../src/index.js';
import type { ChildSpec } from './consumer-child.js';

/** One test's private world: unique group names and a backing store nobody else uses. */
export interface BusScope {
  /** The unique group names this scope was asked for, in order. */
  groups: string[];
  /** A new bus over the same backing and groups, as another process (or a restarted one) would open it. */
  open(): Bus;
  /** Make the batch durable where the adapter reads it (local: the store) and publish it. */
  publish(batch: BusBatch): Promise<void>;
  /** Stop `bus` the way a killed process stops: no acknowledgement, no release of work in hand. */
  crash(bus: Bus): Promise<void>;
  /** How `consumer-child.ts` opens the same bus in another process. */
  childBus(): Pick<ChildSpec, 'adapter' | 'options'>;
  /** Close everything the scope opened and delete its data. */
  cleanup(): Promise<void>;
}

export type ScopeFactory = (groupCount: number) => Promise<BusScope>;

/** Events `e-<from>` … in batches of `size`; the batch id is its first event id. */
export function makeBatches(count: number, size: number, from = 0): BusBatch[] {
  return Array.from({ length: count }, (_, b) => {
    const events: SerializedEvent[] = Array.from({ length: size }, (_, i) => {
      const n = from + b * size + i;
      const id = `e-${String(n).padStart(4, '0')}`;
      const doc = { '@timestamp': new Date(1_700_000_000_000 + n).toISOString(), event: { id, dataset: 'test' }, message: `m ${n}` };
      return { id, ts: 1_700_000_000_000 + n, dataset: 'test', doc: JSON.stringify(doc), message: doc.message };
    });
    return { id: events[0]!.id, events };
  });
}

export const idsOf = (batches: readonly BusBatch[]): string[] => batches.flatMap((b) => b.events.map((e) => e.id));

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Run `consumer-child.ts` on `spec`; resolves once it printed `hung`, with the ids it acknowledged before that. */
async function runChildUntilHung(spec: ChildSpec): Promise<{ acked: string[]; kill: () => void }> {
  const script = fileURLToPath(new URL('./consumer-child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', script, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = () => child.kill('SIGKILL');
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('ack ')) acked.push(...line.slice(4).split(' '));
    if (line === 'hung') return { acked, kill };
  }
  await exited;
  throw new Error(`the consumer child exited (code ${child.exitCode}) before reaching ${spec.hangAt}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts how often each event id was handled. */
function tally(): { seen: Map<string, number>; add(batch: BusBatch): void; ids(): string[] } {
  const seen = new Map<string, number>();
  const order: string[] = [];
  return {
    seen,
    add(batch) {
      for (const e of batch.events) {
        seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
        order.push(e.id);
      }
    },
    ids: () => order,
  };
}

export function runBusContract(adapter: string, newScope: ScopeFactory): void {
  describe(`Bus contract: ${adapter}`, () => {
    const scopes: BusScope[] = [];
    const scope = async (groups = 1) => {
      const s = await newScope(groups);
      scopes.push(s);
      return s;
    };
    after(async () => {
      for (const s of scopes) await s.cleanup();
    });

    it('delivers every batch once, in order, to a single consumer (backlog first, then live)', async () => {
      const s = await scope();
      const batches = makeBatches(8, 3);
      for (const b of batches.slice(0, 4)) await s.publish(b);
      const bus = s.open();
      const got = tally();
      await bus.subscribe(s.groups[0]!, async (b) => got.add(b));
      for (const b of batches.slice(4)) await s.publish(b);
      await waitFor('all events', () => got.seen.size === 24);
      await sleep(200);
      assert.deepEqual(got.ids(), idsOf(batches));
      await bus.close();
    });

    it('shares a group between two consumers: each batch handled by one of them, never twice', async () => {
      const s = await scope();
      const bus = s.open();
      const got = tally();
      const inHand = new Set<string>();
      const perConsumer = [0, 0];
      const consumer = (n: number) => async (b: BusBatch) => {
        assert.ok(!inHand.has(b.id), `batch ${b.id} handled by two consumers at once`);
        inHand.add(b.id);
        await sleep(15);
        inHand.delete(b.id);
        perConsumer[n]!++;
        got.add(b);
      };
      await bus.subscribe(s.groups[0]!, consumer(0));
      await bus.subscribe(s.groups[0]!, consumer(1));
      const batches = makeBatches(20, 3);
      for (const b of batches) await s.publish(b);
      await waitFor('all events', () => got.seen.size === 60);
      await sleep(200);
      assert.ok([...got.seen.values()].every((n) => n === 1), 'no event handled twice');
      assert.ok(perConsumer[0]! > 0 && perConsumer[1]! > 0, `both consumers worked: ${perConsumer.join(' / ')}`);
      await bus.close();
    });

    it('redelivers a batch whose handler threw, and still delivers the rest', async () => {
      const s = await scope();
      const bus = s.open();
      const got = tally();
      let failures = 0;
      await bus.subscribe(s.groups[0]!, async (b) => {
        if (b.events.some((e) => e.id === 'e-0004') && failures === 0) {
          failures++;
          throw new Error('handler failure (expected by the test)');
        }
        got.add(b);
      });
      for (const b of makeBatches(4, 3)) await s.publish(b);
      await waitFor('all events', () => got.seen.size === 12);
      assert.equal(failures, 1);
      assert.equal(got.seen.get('e-0004'), 1, 'the failed batch is acknowledged once it succeeds');
      await bus.close();
    });

    it('after a graceful close, a new subscriber resumes right after the last acknowledged batch', async () => {
      const s = await scope();
      const first = s.open();
      const early = tally();
      await first.subscribe(s.groups[0]!, async (b) => early.add(b));
      for (const b of makeBatches(5, 2)) await s.publish(b);
      await waitFor('first half', () => early.seen.size === 10);
      await first.close();
      for (const b of makeBatches(5, 2, 10)) await s.publish(b);
      const second = s.open();
      const late = tally();
      await second.subscribe(s.groups[0]!, async (b) => late.add(b));
      await waitFor('second half', () => late.seen.size === 10);
      await sleep(200);
      assert.deepEqual(late.ids(), idsOf(makeBatches(5, 2, 10)), 'exactly the unacknowledged batches, in order');
      await second.close();
    });

    it('after a crash, the batch in hand is redelivered to the next consumer, with everything after it', async () => {
      const s = await scope();
      const crashed = s.open();
      const done = tally();
      let release!: (err: Error) => void;
      const hung = new Promise<never>((_, reject) => (release = reject));
      hung.catch(() => {});
      await crashed.subscribe(s.groups[0]!, async (b) => {
        if (b.events[0]!.id === 'e-0006') await hung;
        done.add(b);
      });
      for (const b of makeBatches(6, 3)) await s.publish(b);
      await waitFor('the batches before the hung one', () => done.seen.size === 6);
      await s.crash(crashed);
      const next = s.open();
      const redelivered = tally();
      await next.subscribe(s.groups[0]!, async (b) => redelivered.add(b));
      await waitFor('the hung batch and the rest', () => redelivered.seen.size === 12);
      for (const id of idsOf(makeBatches(4, 3, 6))) assert.equal(redelivered.seen.get(id), 1, id);
      for (const id of done.seen.keys()) assert.ok(!redelivered.seen.has(id), `${id} was acknowledged and came back`);
      release(new Error('the crashed consumer wakes up after the test (expected)'));
      await next.close();
    });

    it('after SIGKILL of a consumer process mid-batch, the next consumer gets that batch and everything after it', async () => {
      const s = await scope();
      for (const b of makeBatches(6, 3)) await s.publish(b);
      const child = await runChildUntilHung({ ...s.childBus(), group: s.groups[0]!, hangAt: 'e-0007' } as ChildSpec);
      child.kill();
      assert.deepEqual(child.acked, idsOf(makeBatches(2, 3)), 'the child acknowledged the batches before the hung one');
      const next = s.open();
      const got = tally();
      await next.subscribe(s.groups[0]!, async (b) => got.add(b));
      await waitFor('the killed batch and the rest', () => got.seen.size === 12);
      await sleep(200);
      // Sorted: the port promises no order after a redelivery (BullMQ puts a stalled job behind the waiting ones).
      assert.deepEqual([...got.ids()].sort(), idsOf(makeBatches(4, 3, 6)), 'each once, none acknowledged before the kill');
      await next.close();
    });

    it('under concurrency and random handler failures, every event is acknowledged exactly once', async () => {
      const s = await scope();
      const bus = s.open();
      const succeeded = tally();
      let failures = 0;
      const handler = async (b: BusBatch) => {
        await sleep(Math.random() * 5);
        if (Math.random() < 0.25) {
          failures++;
          throw new Error('random failure (expected by the test)');
        }
        succeeded.add(b);
      };
      await bus.subscribe(s.groups[0]!, handler, { concurrency: 3 });
      await bus.subscribe(s.groups[0]!, handler, { concurrency: 2 });
      for (const b of makeBatches(30, 3)) await s.publish(b);
      await waitFor('all events', () => succeeded.seen.size === 90, 30_000);
      await sleep(300);
      assert.ok(failures > 0, 'the test made some handlers fail');
      assert.ok([...succeeded.seen.values()].every((n) => n === 1), 'no event acknowledged twice');
      await bus.close();
    });

    it('gives every group every batch', async () => {
      const s = await scope(2);
      const bus = s.open();
      const a = tally();
      const b = tally();
      await bus.subscribe(s.groups[0]!, async (batch) => a.add(batch));
      await bus.subscribe(s.groups[1]!, async (batch) => b.add(batch));
      const batches = makeBatches(6, 2);
      for (const batch of batches) await s.publish(batch);
      await waitFor('both groups', () => a.seen.size === 12 && b.seen.size === 12);
      await sleep(200);
      assert.deepEqual(a.ids(), idsOf(batches));
      assert.deepEqual(b.ids(), idsOf(batches));
      await bus.close();
    });

    it('delivers a re-published batch (same id, same events) once', async () => {
      const s = await scope();
      const bus = s.open();
      const got = tally();
      await bus.subscribe(s.groups[0]!, async (b) => got.add(b));
      const batches = makeBatches(3, 2);
      for (const b of batches) await s.publish(b);
      await s.publish(batches[1]!);
      await waitFor('all events', () => got.seen.size === 6);
      await s.publish(batches[0]!);
      await sleep(500);
      assert.ok([...got.seen.values()].every((n) => n === 1), `counts: ${JSON.stringify([...got.seen])}`);
      await bus.close();
    });
  });
}
