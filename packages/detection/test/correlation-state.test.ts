/**
 * Determinism: the same stream gives the same matches and ids whether fed in one call or many, replayed, retried
 * against state another process already advanced, or split by a restart (snapshot → JSON → restore).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryCorrelationState, matchId, type CorrelationState } from '../src/index.js';
import { at, engineFor, run, summary } from './correlation-helpers.js';
import { CONTRACT_BODY as BODY, CONTRACT_OPTIONS as OPTIONS, CONTRACT_STREAM as STREAM, correlationStateContract } from './correlation-state-contract.js';

// The adapter contract (compare-and-set, versions, deletion, TTL, engines sharing a store), on a fake clock.
correlationStateContract('InMemoryCorrelationState', async () => {
  let now = 1_000;
  const state = new InMemoryCorrelationState(() => now);
  return {
    state,
    ttlMs: 500,
    elapse: async (ms) => {
      now += ms;
    },
    size: async () => state.size,
    close: async () => {},
  };
});

describe('determinism', () => {
  it('one call or many: processBatch in any chunking equals process per event', async () => {
    const single = summary(await run(engineFor(['fail'], BODY, OPTIONS), STREAM));
    assert.ok(single.length >= 6, `expected several matches, got ${single.length}`);
    for (const size of [1, 7, 40]) {
      const engine = engineFor(['fail'], BODY, OPTIONS);
      const out = [];
      for (let i = 0; i < STREAM.length; i += size) {
        out.push(...(await engine.processBatch(STREAM.slice(i, i + size).map(([event, matchedRuleIds]) => ({ event, matchedRuleIds })))));
      }
      assert.deepEqual(summary(out), single, `chunks of ${size}`);
    }
  });

  it('ids are stable across independent runs and derived from rule, group and window start', async () => {
    const a = await run(engineFor(['fail'], BODY, OPTIONS), STREAM);
    const b = await run(engineFor(['fail'], BODY, OPTIONS), STREAM);
    assert.deepEqual(a.map((m) => m.id), b.map((m) => m.id));
    const first = a[0]!;
    assert.equal(first.id, matchId('test_correlation', first.groupKey, Date.parse(first.window.start)));
    assert.match(first.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(new Set(a.map((m) => m.id)).size, a.length);
  });

  it('replaying the stream into the same state fires nothing new: only the same matches again, once each', async () => {
    const engine = engineFor(['fail'], BODY, { allowedLatenessMs: 10 * 60_000 });
    const first = await run(engine, STREAM);
    assert.ok(first.length > 0);
    const replay = await run(engine, STREAM);
    // Matches whose completing event comes again are re-emitted (a crash may have cost their alert): same ids, same
    // content, and the alert store is idempotent on the id. Nothing else fires.
    assert.deepEqual(summary(replay), summary(first.filter((m) => replay.some((r) => r.id === m.id))));
    assert.equal(new Set(replay.map((m) => m.id)).size, replay.length);
    assert.ok(replay.every((m) => first.some((f) => f.id === m.id)));
  });

  it('a retry after a crash between alert write and state write yields the same ids', async () => {
    const state = new InMemoryCorrelationState();
    const engine = engineFor(['fail'], BODY, { state });
    const before = state.snapshot();
    const firstTry = await run(engine, STREAM.slice(0, 9));
    assert.ok(firstTry.length > 0);
    const retry = await run(engineFor(['fail'], BODY, { state: InMemoryCorrelationState.restore(before) }), STREAM.slice(0, 9));
    assert.deepEqual(summary(retry), summary(firstTry));
  });

  it('survives a restart: snapshot, JSON, restore, continue — same output as one run', async () => {
    const whole = summary(await run(engineFor(['fail'], BODY, OPTIONS), STREAM));
    const state = new InMemoryCorrelationState();
    const firstHalf = await run(engineFor(['fail'], BODY, { ...OPTIONS, state }), STREAM.slice(0, 17));
    const saved = JSON.parse(JSON.stringify(state.snapshot()));
    const restored = InMemoryCorrelationState.restore(saved);
    const secondHalf = await run(engineFor(['fail'], BODY, { ...OPTIONS, state: restored }), STREAM.slice(17));
    assert.deepEqual(summary([...firstHalf, ...secondHalf]), whole);
  });
});

describe('InMemoryCorrelationState', () => {
  it('states are immutable values: the engine never mutates one it read (deep-frozen store)', async () => {
    const inner = new InMemoryCorrelationState();
    const freeze = <T>(value: T): T => {
      if (value && typeof value === 'object') for (const child of Object.values(value)) freeze(child);
      return Object.freeze(value);
    };
    const frozen: CorrelationState = {
      read: async (key) => inner.read(key),
      write: async (key, state, version, ttl) => inner.write(key, state && freeze(state), version, ttl),
    };
    const whole = summary(await run(engineFor(['fail'], BODY, OPTIONS), STREAM));
    assert.deepEqual(summary(await run(engineFor(['fail'], BODY, { ...OPTIONS, state: frozen }), STREAM)), whole);
  });

  it('the engine sets TTL = timespan + lateness + slack', async () => {
    let now = 0;
    const state = new InMemoryCorrelationState(() => now);
    const engine = engineFor(['fail'], BODY, { state, allowedLatenessMs: 5_000, ttlSlackMs: 1_000 });
    await run(engine, [[at('x', 0), ['fail']]]);
    now = 65_999;
    assert.equal(state.size, 1);
    now = 66_000;
    assert.equal(state.size, 0);
  });

  it('drops idle groups: state keeps only what a future window can use', async () => {
    const state = new InMemoryCorrelationState();
    const engine = engineFor(['fail'], BODY, { state });
    await run(engine, STREAM);
    const entries = state.snapshot().entries.flatMap((e) => e.state.entries);
    assert.ok(entries.length <= 9, `kept ${entries.length} entries`);
  });
});
