/**
 * A correlator that dies after its window state was written but before the match became an alert must not lose the
 * alert: the bus redelivers the batch, and the redelivered events — now duplicates, spent or even late for the window
 * — must yield the same match again (same id, same evidence), so the idempotent alert recording completes it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryCorrelationState } from '../src/index.js';
import { at, engineFor, run, seconds, type Step } from './correlation-helpers.js';

const COUNT3 = "type: event_count\nrules: [fail]\ngroup-by: [user.username]\ntimespan: 1m\ncondition: {gte: 3}";
const ORDERED = 'type: temporal_ordered\nrules: [exec, read, bind]\ngroup-by: [user.username]\ntimespan: 15m';
const fails = (...offsets: number[]): Step[] => offsets.map((s, i) => [at(`f${i}`, seconds(s)), ['fail']]);

describe('replay after a lost match', () => {
  it('event_count: the redelivered batch re-emits the match the crashed run produced', async () => {
    const state = new InMemoryCorrelationState();
    const lost = await run(engineFor(['fail'], COUNT3, { state }), fails(0, 10, 20));
    assert.equal(lost.length, 1, 'the first run matched (and then "crashed" before recording it)');
    const replayed = await run(engineFor(['fail'], COUNT3, { state }), fails(0, 10, 20));
    assert.deepEqual(replayed, lost);
  });

  it('only the completing event of a replay re-emits; unrelated later events do not', async () => {
    const state = new InMemoryCorrelationState();
    const [match] = await run(engineFor(['fail'], COUNT3, { state }), fails(0, 10, 20));
    const engine = engineFor(['fail'], COUNT3, { state });
    const again = await run(engine, fails(0, 10, 20));
    assert.deepEqual(again.map((m) => m.id), [match!.id], 'one re-emission for the replayed batch, not one per event');
    assert.deepEqual(await run(engine, [[at('g0', seconds(30)), ['fail']]]), [], 'a fresh event after the match re-emits nothing');
  });

  it('temporal_ordered: the multi-stage sequence replayed after the match yields it again', async () => {
    const state = new InMemoryCorrelationState();
    const steps: Step[] = [
      [at('e1', seconds(0)), ['exec']],
      [at('e2', seconds(60)), ['read']],
      [at('e3', seconds(120)), ['bind']],
    ];
    const lost = await run(engineFor(['exec', 'read', 'bind'], ORDERED, { state }), steps);
    assert.equal(lost.length, 1);
    const replayed = await run(engineFor(['exec', 'read', 'bind'], ORDERED, { state }), steps);
    assert.deepEqual(replayed, lost);
  });

  it('re-emits even when the watermark has since moved past the lateness bound', async () => {
    const state = new InMemoryCorrelationState();
    const engine = engineFor(['fail'], COUNT3, { state, allowedLatenessMs: 5_000 });
    const [match] = await run(engine, fails(0, 10, 20));
    // Another correlator handled later events of the group meanwhile: the replayed ones are now late.
    await run(engine, [[at('later', seconds(200)), ['fail']]]);
    const replayed = await run(engineFor(['fail'], COUNT3, { state, allowedLatenessMs: 5_000 }), fails(0, 10, 20));
    assert.deepEqual(replayed.map((m) => m.id), [match!.id]);
  });
});

describe('busy keys', () => {
  const PAIR = 'type: temporal_ordered\nrules: [burst, ok]\ngroup-by: [user.username]\ntimespan: 10m';

  it('a flood of later-step events keeps the state bounded, and a late first step still completes the chain', async () => {
    const state = new InMemoryCorrelationState();
    const engine = engineFor(['burst', 'ok'], PAIR, { state, allowedLatenessMs: 60_000 });
    const flood: Step[] = Array.from({ length: 5000 }, (_, i) => [at(`ok${i}`, 10 * i), ['ok']]);
    assert.deepEqual(await run(engine, flood), []);
    const [key] = state.snapshot().entries;
    assert.ok(key!.state.entries.length <= 2 * 64, `entries kept: ${key!.state.entries.length}`);
    // The first step arrives 30 s behind the watermark (within the lateness): the chain completes.
    const matches = await run(engine, [[at('burst-late', 10 * 4999 - 30_000), ['burst']]]);
    assert.equal(matches.length, 1);
    assert.equal(matches[0]!.eventIds[0], 'burst-late');
    assert.ok(Date.parse(matches[0]!.window.end) > Date.parse(matches[0]!.window.start), 'an accepted request after the burst');
  });
});
