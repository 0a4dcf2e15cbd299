/**
 * temporal_ordered without stored state for later steps nothing started: an event that only matches a later step
 * (the bundled "authenticated request", the "cluster-admin bound" of the multi-stage breach) writes no window state
 * unless an earlier step is open in its group, or a late earlier step could still come before it (the allowed
 * lateness). Proven on the bundled brute-force rules, on the engine's edge cases, and against the reference
 * algorithm (`keepUnstarted`) on random streams.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  applyEntry, compileCorrelations, compileRules, conditionTest, CorrelationEngine, InMemoryCorrelationState, loadSigmaFiles,
  type CorrelationState, type WindowEntry, type WindowHit, type WindowSpec, type WindowState,
} from '../src/index.js';
import { at, engineFor, run, seconds, T0, type Step } from './correlation-helpers.js';

/** Counts the engine's state traffic. */
class CountingState implements CorrelationState {
  reads = 0;
  writes = 0;
  constructor(readonly inner = new InMemoryCorrelationState()) {}
  read(key: string) {
    this.reads++;
    return this.inner.read(key);
  }
  write(key: string, state: WindowState | undefined, version: number, ttl: number) {
    this.writes++;
    return this.inner.write(key, state, version, ttl);
  }
}

const RULES = new URL('../../../rules/', import.meta.url);
const BUNDLED = ['kubernetes/authentication_failed.yml', 'kubernetes/authenticated_request.yml', 'correlations/authentication_failures_burst.yml', 'correlations/brute_force_then_success.yml'];
const sigma = loadSigmaFiles(BUNDLED.map((file) => ({ file, source: readFileSync(new URL(file, RULES), 'utf8') })));
const ruleset = compileRules(sigma.rules);
const bruteForce = (state: CorrelationState, allowedLatenessMs: number) =>
  new CorrelationEngine(compileCorrelations(sigma.correlations, sigma.rules), { state, allowedLatenessMs });

/** A decoded audit event (as packages/ingest stores it) from `ip`, `s` seconds after T0, with the response code. */
function audit(id: string, s: number, ip: string, code: number, username?: string) {
  return {
    '@timestamp': new Date(T0 + seconds(s)).toISOString(),
    event: { id, dataset: 'kubernetes.audit', kind: 'event' },
    source: { ip },
    http: { response: { status_code: code } },
    ...(username && { user: { name: username } }),
    kubernetes: {
      audit: { auditID: id, verb: 'list', sourceIPs: [ip], user: username ? { username } : {}, objectRef: { resource: 'pods' }, responseStatus: { code } },
    },
  };
}

async function feed(engine: CorrelationEngine, events: unknown[]) {
  const out = [];
  for (const event of events) out.push(...(await engine.process(event, ruleset.match(event).map((m) => m.rule.id!))));
  return out.map((m) => m.rule.name);
}

/** 600 authenticated requests over 10 minutes from each of 5 addresses; nothing else. */
const busy = Array.from({ length: 3000 }, (_, i) => audit(`ok-${i}`, i / 5, `10.0.0.${i % 5}`, 200, 'ci-deployer'));
const burst = (ip: string, from: number) => Array.from({ length: 5 }, (_, i) => audit(`fail-${ip}-${from}-${i}`, from + i, ip, 401));

describe('temporal_ordered: no state for later steps nothing started', () => {
  it('without lateness, authenticated requests with no failure burst open write no state key at all', async () => {
    const state = new CountingState();
    assert.deepEqual(await feed(bruteForce(state, 0), busy), []);
    assert.equal(state.writes, 0);
    assert.equal(state.inner.size, 0);
    assert.equal(state.reads, busy.length, 'one read per event: the group may have an earlier step open (another process)');
  });

  it('with lateness, an unstarted later step is kept only while a late earlier step could still precede it', async () => {
    const reference = new InMemoryCorrelationState();
    const before = await run4(reference, 60_000, true);
    const state = new InMemoryCorrelationState();
    assert.deepEqual(await feed(bruteForce(state, 60_000), busy), before);
    const kept = (s: InMemoryCorrelationState) => s.snapshot().entries.flatMap((e) => e.state.entries);
    // 5 requests/s over 5 addresses: the last 60 s of each (+ the one at the edge), against 11 minutes before.
    assert.ok(kept(state).length <= 5 * 61 + 5, `kept ${kept(state).length}`);
    assert.ok(kept(reference).length >= 5 * 600 - 5, `reference kept ${kept(reference).length}`);
  });

  it('still fires when the earlier step came first (burst, then a success), with and without lateness', async () => {
    for (const lateness of [0, 60_000]) {
      const state = new CountingState();
      const events = [...busy.slice(0, 500), ...burst('203.0.113.7', 200), audit('win', 210, '203.0.113.7', 200, 'admin')];
      assert.deepEqual(await feed(bruteForce(state, lateness), events), ['bulwark_k8s_authentication_failures_burst', 'bulwark_k8s_brute_force_then_success'], `lateness ${lateness}`);
    }
  });

  it('a success before the burst never fires (order), and with no lateness writes nothing for it', async () => {
    const state = new CountingState();
    const events = [audit('early', 100, '203.0.113.7', 200, 'admin'), ...burst('203.0.113.7', 200)];
    assert.deepEqual(await feed(bruteForce(state, 0), events), ['bulwark_k8s_authentication_failures_burst']);
    assert.equal(state.inner.snapshot().entries.some((e) => e.state.entries.some((x) => x.id === 'early')), false);
  });
});

describe('temporal_ordered: late earlier steps (README "Out of order")', () => {
  const ORDERED = 'type: temporal_ordered\nrules: [a, b, c]\ngroup-by: [user.username]\ntimespan: 5m';
  const step = (rule: string, s: number): Step => [at(`${rule}${s}`, seconds(s)), [rule]];

  it('a first step within the lateness still completes the chain (its later steps were kept)', async () => {
    const engine = engineFor(['a', 'b', 'c'], ORDERED, { allowedLatenessMs: 30_000 });
    const matches = await run(engine, [step('b', 100), step('c', 110), step('c', 120), step('a', 95)]);
    assert.deepEqual(matches.map((m) => m.eventIds), [['a95', 'b100', 'c110']]);
  });

  it('a later step older than the lateness is dropped once no earlier step precedes it; its first step is then late', async () => {
    const state = new InMemoryCorrelationState();
    const engine = engineFor(['a', 'b', 'c'], ORDERED, { allowedLatenessMs: 30_000, state });
    assert.deepEqual(await run(engine, [step('b', 100), step('c', 131), step('a', 99)]), []);
    assert.equal(engine.stats.late, 1, 'a99 is 32 s behind c131');
    assert.deepEqual(state.snapshot().entries.flatMap((e) => e.state.entries.map((x) => x.id)), ['c131']);
  });

  it('entries after an open earlier step stay for the whole timespan', async () => {
    const state = new InMemoryCorrelationState();
    const engine = engineFor(['a', 'b', 'c'], ORDERED, { state });
    assert.deepEqual(await run(engine, [step('a', 0), step('b', 100), step('c', 50)]), []);
    assert.deepEqual(state.snapshot().entries.flatMap((e) => e.state.entries.map((x) => x.id)), ['a0', 'b100']);
    assert.deepEqual((await run(engine, [step('c', 200)])).map((m) => m.eventIds), [['a0', 'b100', 'c200']]);
  });

  it('an event matching an earlier and a later step is an earlier step (kept)', async () => {
    const engine = engineFor(['a', 'b'], 'type: temporal_ordered\nrules: [a, b]\ngroup-by: [user.username]\ntimespan: 5m');
    assert.deepEqual((await run(engine, [[at('ab', 0), ['a', 'b']], step('b', 10)])).map((m) => m.eventIds), [['ab', 'b10']]);
  });
});

describe('temporal_ordered: same results as the reference algorithm', () => {
  function rng(seed: number) {
    let s = seed >>> 0;
    return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  }

  it('random streams: identical outcomes and hits until the reference rejects as late what the pruned state accepts', () => {
    let divergences = 0;
    let hits = 0;
    for (let seed = 1; seed <= 1500; seed++) {
      const r = rng(seed);
      const latenessMs = [0, 20, 60][seed % 3]!;
      const spec: WindowSpec = { type: 'temporal_ordered', timespanMs: 100, latenessMs, ruleCount: 3, test: conditionTest({ gte: seed % 4 === 0 ? 2 : 3 }) };
      let pruned: WindowState | undefined;
      let reference: WindowState | undefined;
      let t = 0;
      for (let i = 0; i < 40; i++) {
        t += Math.floor(r() * 30);
        const rules = r() < 0.15 ? [0, 1 + Math.floor(r() * 2)] : [Math.floor(r() * r() * 3.5) % 3];
        const entry: WindowEntry = { t: t - Math.floor(r() * r() * 80), id: `e${i}`, rules: [...new Set(rules)].sort() };
        const a = applyEntry(pruned, entry, spec);
        const b = applyEntry(reference, entry, { ...spec, keepUnstarted: true });
        if (a.outcome !== b.outcome) {
          assert.deepEqual([b.outcome, a.outcome], ['late', 'added'], `seed ${seed} entry ${i}`);
          divergences++;
          break;
        }
        assert.deepEqual(a.hits, b.hits as WindowHit[], `seed ${seed} entry ${i}`);
        hits += a.hits.length;
        assert.ok(a.state.entries.length <= b.state.entries.length);
        pruned = emptied(a.state) ? undefined : a.state;
        reference = emptied(b.state) ? undefined : b.state;
      }
    }
    assert.ok(hits > 500, `only ${hits} hits: the streams do not exercise chains`);
    assert.ok(divergences < 1500 / 4, `${divergences} of 1500 streams diverged (compared up to there)`);
  });
});

/** The engine deletes a state with no entries and no last match (engine.ts `update`). */
const emptied = (s: WindowState) => s.entries.length === 0 && s.lastMatchEnd === undefined;

/** The reference run of the busy stream: every state kept the old way (through the engine, via `keepUnstarted`). */
async function run4(state: InMemoryCorrelationState, allowedLatenessMs: number, keepUnstarted: boolean) {
  const engine = bruteForce(state, allowedLatenessMs);
  for (const c of engine.set.correlations) (c.spec as WindowSpec).keepUnstarted = keepUnstarted;
  return feed(engine, busy);
}
