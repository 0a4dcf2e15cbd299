/**
 * The contract every `CorrelationState` adapter keeps, run on each (in memory: correlation-state.test.ts; Redis:
 * packages/bus/test/correlation-state-redis.test.ts; SQLite: packages/store/test/correlation-state-sqlite.test.ts — they
 * import it as `@bulwark/detection/testing`): compare-and-set on versions, versions that never repeat for a key (even after it
 * expired), deletion under the same check, TTLs set and refreshed by writes, JSON states round-tripped, and engines
 * sharing one store agreeing with one engine.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { CorrelationState, WindowState } from '../src/index.js';
import { at, engineFor, run, seconds, summary, type Step } from './correlation-helpers.js';

export interface StateHarness {
  state: CorrelationState;
  /** A TTL the adapter can be watched expiring in this test run (a fake clock: anything; real Redis: short). */
  ttlMs: number;
  /** Lets `ms` pass for the store's expiry (a fake clock moves; a real store is waited on, a little longer). */
  elapse(ms: number): Promise<void>;
  /** Window keys the store holds now, expired ones not counted. */
  size(): Promise<number>;
  /** Removes what the test left behind. */
  close(): Promise<void>;
}

export const CONTRACT_BODY = "type: event_count\nrules: [fail]\ngroup-by: [user.username]\ntimespan: 1m\ncondition: {gte: 3}";
const users = ['alice', 'bob', 'carol'];
/** 40 events over 4 minutes across three users, a few slightly out of order. */
export const CONTRACT_STREAM: Step[] = Array.from({ length: 40 }, (_, i) => {
  const jitter = i % 7 === 3 ? -4 : 0;
  return [at(`e${i}`, seconds(i * 6 + jitter), { user: { username: users[i % 3] } }), ['fail']];
});
export const CONTRACT_OPTIONS = { allowedLatenessMs: 10_000 };

const windowState = (n: number): WindowState => ({ entries: [{ t: n, id: `e${n}`, rules: [0] }], watermark: n });

export function correlationStateContract(name: string, makeHarness: () => Promise<StateHarness>): void {
  describe(`CorrelationState contract: ${name}`, () => {
    let h: StateHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    it('reads nothing for an absent key', async () => {
      assert.equal(await h.state.read('absent'), undefined);
      assert.equal(await h.size(), 0);
    });

    it('creates with expected version 0; a second create conflicts (false) and changes nothing', async () => {
      assert.equal(await h.state.write('k', windowState(1), 0, h.ttlMs), true);
      const first = await h.state.read('k');
      assert.ok(first && first.version > 0);
      assert.deepEqual(first.state, windowState(1));
      assert.equal(await h.state.write('k', windowState(2), 0, h.ttlMs), false);
      assert.deepEqual(await h.state.read('k'), first);
      assert.equal(await h.size(), 1);
    });

    it('updates only from the current version; a stale version conflicts', async () => {
      assert.equal(await h.state.write('k', windowState(1), 0, h.ttlMs), true);
      const v1 = (await h.state.read('k'))!.version;
      assert.equal(await h.state.write('k', windowState(2), v1, h.ttlMs), true);
      const second = (await h.state.read('k'))!;
      assert.notEqual(second.version, v1);
      assert.deepEqual(second.state, windowState(2));
      assert.equal(await h.state.write('k', windowState(3), v1, h.ttlMs), false, 'stale version');
      assert.equal(await h.state.write('k', windowState(3), second.version + 1, h.ttlMs), false, 'a version not yet given');
      assert.deepEqual(await h.state.read('k'), second);
    });

    it('versions never repeat, across writes and keys', async () => {
      const seen = new Set<number>();
      for (const key of ['a', 'b', 'c']) {
        let version = 0;
        for (let i = 0; i < 4; i++) {
          assert.equal(await h.state.write(key, windowState(i), version, h.ttlMs), true);
          const next = (await h.state.read(key))!.version;
          assert.ok(next > version, 'versions of a key increase');
          assert.ok(!seen.has(next), `version ${next} repeated`);
          seen.add(next);
          version = next;
        }
      }
    });

    it('deletes (state undefined) under the same check; a re-created key gets a fresh version', async () => {
      assert.equal(await h.state.write('k', windowState(1), 0, h.ttlMs), true);
      const v1 = (await h.state.read('k'))!.version;
      assert.equal(await h.state.write('k', undefined, v1 + 1, h.ttlMs), false);
      assert.equal((await h.state.read('k'))?.version, v1);
      assert.equal(await h.state.write('k', undefined, v1, h.ttlMs), true);
      assert.equal(await h.state.read('k'), undefined);
      assert.equal(await h.size(), 0);
      assert.equal(await h.state.write('k', undefined, 0, h.ttlMs), true, 'deleting an absent key under version 0');
      assert.equal(await h.state.write('k', windowState(2), v1, h.ttlMs), false, 'the deleted version is gone');
      assert.equal(await h.state.write('k', windowState(2), 0, h.ttlMs), true);
      assert.ok((await h.state.read('k'))!.version > v1);
    });

    it('expires keys after their TTL and keeps versions for compare-and-set (no ABA after expiry)', async () => {
      assert.equal(await h.state.write('k', windowState(1), 0, h.ttlMs), true);
      assert.equal(await h.state.write('k', windowState(1), 0, h.ttlMs), false);
      const v1 = (await h.state.read('k'))!.version;
      await h.elapse(h.ttlMs);
      assert.equal(await h.state.read('k'), undefined);
      assert.equal(await h.size(), 0);
      assert.equal(await h.state.write('k', windowState(2), v1, h.ttlMs), false, 'the expired version cannot win');
      assert.equal(await h.state.write('k', windowState(2), 0, h.ttlMs), true);
      const v2 = (await h.state.read('k'))!.version;
      assert.ok(v2 > v1, 'a key that expired and came back never reuses a version');
      assert.equal(await h.state.write('k', windowState(3), v1, h.ttlMs), false, 'a reader of the expired key must not win (ABA)');
    });

    it('every write sets the TTL afresh; keys expire independently', async () => {
      const part = Math.round(h.ttlMs * 0.6);
      assert.equal(await h.state.write('k', windowState(1), 0, h.ttlMs), true);
      assert.equal(await h.state.write('other', windowState(1), 0, h.ttlMs), true);
      await h.elapse(part);
      const v = (await h.state.read('k'))!.version;
      assert.equal(await h.state.write('k', windowState(2), v, h.ttlMs), true);
      await h.elapse(part);
      assert.deepEqual((await h.state.read('k'))?.state, windowState(2), 'refreshed by the write');
      assert.equal(await h.state.read('other'), undefined, 'not refreshed');
      assert.equal(await h.size(), 1);
    });

    it('round-trips any JSON window state and any key text', async () => {
      const state: WindowState = {
        entries: [
          { t: 1_700_000_000_123, id: 'ünï "quoted" \\ id', rules: [0, 2], values: ['db-credentials', 42, ''] },
          { t: 1_700_000_000_124, id: 'e2', rules: [1] },
        ],
        watermark: 1_700_000_000_124,
        lastMatchEnd: 1_700_000_000_000,
      };
      const key = JSON.stringify(['rule:ünï', 'a"b', 'x\\y', '']);
      assert.equal(await h.state.write(key, state, 0, h.ttlMs), true);
      assert.deepEqual((await h.state.read(key))?.state, state);
      assert.equal(await h.state.read(JSON.stringify(['rule:ünï'])), undefined);
    });

    it('concurrent creates of one key: exactly one wins', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => h.state.write('race', windowState(i), 0, h.ttlMs)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('two engines sharing one state agree with one engine (compare-and-set retries on conflict)', async () => {
      const whole = summary(await run(engineFor(['fail'], CONTRACT_BODY, CONTRACT_OPTIONS), CONTRACT_STREAM));
      const shared = h.state;
      let interleave = 0;
      // A state that lets the other engine write between every read and write once in a while.
      const racy: CorrelationState = {
        read: (key) => shared.read(key),
        write: async (key, state, version, ttl) => {
          if (++interleave % 5 === 0) {
            const current = await shared.read(key);
            if (current) await shared.write(key, current.state, current.version, ttl); // a no-op write bumps the version
          }
          return shared.write(key, state, version, ttl);
        },
      };
      const one = engineFor(['fail'], CONTRACT_BODY, { ...CONTRACT_OPTIONS, state: racy });
      const two = engineFor(['fail'], CONTRACT_BODY, { ...CONTRACT_OPTIONS, state: shared });
      const out = [];
      for (const [i, [event, rules]] of CONTRACT_STREAM.entries()) out.push(...(await (i % 2 ? one : two).process(event, rules)));
      assert.deepEqual(summary(out), whole);
      assert.ok(one.stats.conflicts > 0);
    });

    it('a new engine on the same store continues the windows (restart)', async () => {
      const whole = summary(await run(engineFor(['fail'], CONTRACT_BODY, CONTRACT_OPTIONS), CONTRACT_STREAM));
      const options = { ...CONTRACT_OPTIONS, state: h.state };
      const firstHalf = await run(engineFor(['fail'], CONTRACT_BODY, options), CONTRACT_STREAM.slice(0, 17));
      const secondHalf = await run(engineFor(['fail'], CONTRACT_BODY, options), CONTRACT_STREAM.slice(17));
      assert.deepEqual(summary([...firstHalf, ...secondHalf]), whole);
      assert.ok(secondHalf.length > 0 && firstHalf.length > 0);
    });
  });
}
