/** The correlation engine: each type, window edges, lateness, re-firing, group isolation, and chaining. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conditionTest, CorrelationSet } from '../src/index.js';
import { at, engineFor, run, seconds, T0, type Step } from './correlation-helpers.js';

const COUNT3 = "type: event_count\nrules: [fail]\ngroup-by: [user.username]\ntimespan: 1m\ncondition: {gte: 3}";
const fails = (...offsets: number[]): Step[] => offsets.map((s, i) => [at(`f${i}`, seconds(s)), ['fail']]);

describe('event_count', () => {
  it('fires when the count is reached within the timespan, with the window and events', async () => {
    const matches = await run(engineFor(['fail'], COUNT3), fails(0, 20, 40));
    assert.equal(matches.length, 1);
    assert.deepEqual(matches[0]!.window, { start: new Date(T0).toISOString(), end: new Date(T0 + 40_000).toISOString() });
    assert.deepEqual(matches[0]!.eventIds, ['f0', 'f1', 'f2']);
    assert.equal(matches[0]!.count, 3);
    assert.deepEqual(matches[0]!.group, { 'user.username': 'alice' });
    assert.equal((await run(engineFor(['fail'], COUNT3), fails(0, 20))).length, 0);
  });

  it('counts events exactly one timespan apart, not one millisecond more', async () => {
    assert.equal((await run(engineFor(['fail'], COUNT3), fails(0, 30, 60))).length, 1);
    const late = [...fails(0, 30), [at('f2', 60_001), ['fail']] as Step];
    assert.equal((await run(engineFor(['fail'], COUNT3), late)).length, 0);
  });

  it('slides: the window is not a fixed bucket (events across a minute boundary count)', async () => {
    assert.equal((await run(engineFor(['fail'], COUNT3), fails(50, 70, 100))).length, 1);
  });

  it('does not re-fire while the same evidence is in the window; a fresh batch fires again', async () => {
    const matches = await run(engineFor(['fail'], COUNT3), fails(0, 1, 2, 3, 4, 5, 6));
    assert.deepEqual(matches.map((m) => m.eventIds), [['f0', 'f1', 'f2'], ['f3', 'f4', 'f5']]);
    assert.notEqual(matches[0]!.id, matches[1]!.id);
  });

  it('keeps group keys apart', async () => {
    const bob = (id: string, s: number): Step => [at(id, seconds(s), { user: { username: 'bob' } }), ['fail']];
    const matches = await run(engineFor(['fail'], COUNT3), [...fails(0, 1), bob('b0', 2), bob('b1', 3), [at('f9', seconds(4)), ['fail']]]);
    assert.equal(matches.length, 1);
    assert.deepEqual(matches[0]!.group, { 'user.username': 'alice' });
    assert.deepEqual(matches[0]!.eventIds, ['f0', 'f1', 'f9']);
  });

  it('ignores events without the group-by field, and events of other rules', async () => {
    const engine = engineFor(['fail', 'other'], COUNT3);
    const anonymous = (id: string): Step => [{ '@timestamp': new Date(T0).toISOString(), event: { id } }, ['fail']];
    assert.equal((await run(engine, [anonymous('a'), anonymous('b'), anonymous('c'), ...fails(1, 2).map(([e]) => [e, ['other']] as Step)])).length, 0);
    assert.equal(engine.stats.ungrouped, 3);
  });

  it('honours ranges: gt and lte together', async () => {
    const engine = engineFor(['fail'], 'type: event_count\nrules: [fail]\ngroup-by: [user.username]\ntimespan: 1m\ncondition: {gt: 1, lte: 2}');
    const matches = await run(engine, fails(0, 1));
    assert.deepEqual(matches.map((m) => m.count), [2]);
  });
});

describe('out-of-order events', () => {
  const LATE = { allowedLatenessMs: 30_000 };

  it('counts an event within the allowed lateness', async () => {
    const engine = engineFor(['fail'], COUNT3, LATE);
    const matches = await run(engine, fails(0, 40, 20));
    assert.equal(matches.length, 1);
    assert.deepEqual(matches[0]!.eventIds, ['f0', 'f2', 'f1']);
    assert.equal(matches[0]!.window.start, new Date(T0).toISOString());
  });

  it('drops and counts an event beyond the allowed lateness', async () => {
    const engine = engineFor(['fail'], COUNT3, LATE);
    assert.equal((await run(engine, fails(0, 50, 10))).length, 0);
    assert.equal(engine.stats.late, 1);
  });

  it('a late event completes a window that ends after it', async () => {
    const engine = engineFor(['fail'], "type: event_count\nrules: [fail]\ngroup-by: [user.username]\ntimespan: 10s\ncondition: {gte: 2}", LATE);
    const matches = await run(engine, fails(0, 25, 18));
    assert.deepEqual(matches.map((m) => [m.eventIds, m.window.start]), [[['f2', 'f1'], new Date(T0 + 18_000).toISOString()]]);
  });

  it('a late event inside an already-matched window is spent, not a new match', async () => {
    const engine = engineFor(['fail'], COUNT3, LATE);
    const matches = await run(engine, fails(0, 10, 20, 15, 25, 30, 35));
    assert.deepEqual(matches.map((m) => m.eventIds), [['f0', 'f1', 'f2'], ['f4', 'f5', 'f6']]);
    assert.equal(engine.stats.spent, 1);
  });

  it('without lateness any older event is late', async () => {
    const engine = engineFor(['fail'], COUNT3);
    await run(engine, fails(10, 9));
    assert.equal(engine.stats.late, 1);
  });
});

describe('value_count', () => {
  const DISTINCT = "type: value_count\nrules: [get]\ngroup-by: [user.username]\ntimespan: 1m\ncondition: {field: objectRef.name, gte: 3}";
  const get = (id: string, s: number, name: string): Step => [at(id, seconds(s), { objectRef: { name } }), ['get']];

  it('counts distinct values, ignoring repeats', async () => {
    assert.equal((await run(engineFor(['get'], DISTINCT), [get('1', 0, 'a'), get('2', 1, 'a'), get('3', 2, 'b'), get('4', 3, 'b')])).length, 0);
    const matches = await run(engineFor(['get'], DISTINCT), [get('1', 0, 'a'), get('2', 1, 'a'), get('3', 2, 'b'), get('4', 3, 'c')]);
    assert.deepEqual(matches.map((m) => [m.distinct, m.eventIds.length]), [[3, 4]]);
  });

  it('skips events without the field', async () => {
    const engine = engineFor(['get'], DISTINCT);
    await run(engine, [[at('x', 0), ['get']]]);
    assert.equal(engine.stats.noValue, 1);
  });
});

describe('value_sum and value_avg', () => {
  it('sums and averages a numeric field', async () => {
    const body = (type: string, cond: string) => `type: ${type}\nrules: [out]\ngroup-by: [user.username]\ntimespan: 1m\ncondition: {field: bytes, ${cond}}`;
    const steps: Step[] = [100, 300, '500'].map((bytes, i) => [at(`b${i}`, seconds(i), { bytes }), ['out']]);
    assert.deepEqual((await run(engineFor(['out'], body('value_sum', 'gte: 900')), steps)).map((m) => m.sum), [900]);
    assert.deepEqual((await run(engineFor(['out'], body('value_avg', 'gt: 250')), steps)).map((m) => m.avg), [300]);
  });
});

describe('temporal', () => {
  const ABC = 'type: temporal\nrules: [a, b, c]\ngroup-by: [user.username]\ntimespan: 5m';
  const step = (rule: string, s: number): Step => [at(`${rule}${s}`, seconds(s)), [rule]];

  it('fires when every rule was seen within the timespan, in any order', async () => {
    const matches = await run(engineFor(['a', 'b', 'c'], ABC), [step('c', 0), step('a', 10), step('b', 20)]);
    assert.deepEqual(matches.map((m) => [m.count, m.eventIds]), [[3, ['c0', 'a10', 'b20']]]);
  });

  it('does not fire with a rule missing, or spread wider than the timespan', async () => {
    assert.equal((await run(engineFor(['a', 'b', 'c'], ABC), [step('a', 0), step('b', 10), step('b', 20)])).length, 0);
    assert.equal((await run(engineFor(['a', 'b', 'c'], ABC), [step('a', 0), step('b', 10), step('c', 301)])).length, 0);
  });

  it('edges: exactly the timespan apart fires, one millisecond more does not', async () => {
    const edge = (ms: number): Step[] => [step('a', 0), step('b', 10), [at('c-edge', ms), ['c']]];
    assert.equal((await run(engineFor(['a', 'b', 'c'], ABC), edge(300_000))).length, 1);
    assert.equal((await run(engineFor(['a', 'b', 'c'], ABC), edge(300_001))).length, 0);
  });

  it('groups through aliases: one group field read from a different field per rule', async () => {
    const body = 'type: temporal\nrules: [a, b]\ngroup-by: [ip]\ntimespan: 1m\naliases:\n  ip:\n    a: source.ip\n    b: destination.ip';
    const engine = engineFor(['a', 'b'], body);
    const matches = await run(engine, [
      [{ '@timestamp': new Date(T0).toISOString(), event: { id: '1' }, source: { ip: '10.0.0.7' } }, ['a']],
      [{ '@timestamp': new Date(T0 + 5).toISOString(), event: { id: '2' }, destination: { ip: '10.0.0.8' } }, ['b']],
      [{ '@timestamp': new Date(T0 + 9).toISOString(), event: { id: '3' }, destination: { ip: '10.0.0.7' } }, ['b']],
    ]);
    assert.deepEqual(matches.map((m) => [m.group, m.eventIds]), [[{ ip: '10.0.0.7' }, ['1', '3']]]);
  });
});

describe('temporal_ordered', () => {
  const ORDERED = 'type: temporal_ordered\nrules: [a, b, c]\ngroup-by: [user.username]\ntimespan: 5m';
  const step = (rule: string, s: number): Step => [at(`${rule}${s}`, seconds(s)), [rule]];

  it('fires for the listed order, choosing a chain among other events', async () => {
    const matches = await run(engineFor(['a', 'b', 'c'], ORDERED), [step('a', 0), step('c', 5), step('b', 10), step('c', 20)]);
    assert.deepEqual(matches.map((m) => m.eventIds), [['a0', 'b10', 'c20']]);
  });

  it('rejects the wrong order', async () => {
    assert.equal((await run(engineFor(['a', 'b', 'c'], ORDERED), [step('c', 0), step('b', 10), step('a', 20)])).length, 0);
    assert.equal((await run(engineFor(['a', 'b', 'c'], ORDERED), [step('b', 0), step('a', 10), step('c', 20)])).length, 0);
  });

  it('orders by event time, so a late first step still completes the chain', async () => {
    const engine = engineFor(['a', 'b', 'c'], ORDERED, { allowedLatenessMs: 60_000 });
    assert.deepEqual((await run(engine, [step('b', 10), step('c', 20), step('a', 0)])).map((m) => m.eventIds), [['a0', 'b10', 'c20']]);
  });

  it('drops a first step that arrives beyond the allowed lateness', async () => {
    const engine = engineFor(['a', 'b', 'c'], ORDERED, { allowedLatenessMs: 5_000 });
    assert.deepEqual(await run(engine, [step('b', 10), step('c', 20), step('a', 0)]), []);
    assert.equal(engine.stats.late, 1);
  });
});

describe('conditions and generate', () => {
  it('tests every criterion', () => {
    assert.deepEqual([1, 2, 3].map(conditionTest({ neq: 2 })), [true, false, true]);
    assert.deepEqual([1, 2, 3].map(conditionTest({ eq: 2 })), [false, true, false]);
    assert.deepEqual([1, 2, 3].map(conditionTest({ lt: 2 })), [true, false, false]);
    assert.deepEqual([1, 2, 3].map(conditionTest({ gte: 2, lte: 2 })), [false, true, false]);
  });

  it('referenced rules are building blocks unless generate is true', () => {
    const silent = engineFor(['a', 'b'], 'type: temporal\nrules: [a, b]\ngroup-by: [x]\ntimespan: 1m').set;
    const loud = engineFor(['a', 'b'], 'type: temporal\nrules: [a, b]\ngroup-by: [x]\ntimespan: 1m', {}, 'generate: true\n').set;
    assert.ok(silent instanceof CorrelationSet);
    assert.equal(silent.standalone(silent.correlations[0]!.members[0]!.rule), false);
    assert.equal(loud.standalone(loud.correlations[0]!.members[0]!.rule), true);
  });
});
