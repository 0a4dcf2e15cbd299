/**
 * `applyEntry` (window.ts, index ranges over time-sorted entries) equals the plain filter-pass algorithm
 * (window-reference.ts) exactly — states, outcomes and hits — on random streams of every correlation type, with
 * out-of-order and duplicate entries, several conditions and latenesses, and with and without the pruning of
 * unstarted temporal_ordered steps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEntry, conditionTest, type CorrelationCondition, type WindowEntry, type WindowSpec, type WindowState } from '../src/index.js';
import { referenceApplyEntry } from './window-reference.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const TYPES = ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg'] as const;
const CONDITIONS: CorrelationCondition[] = [{ gte: 3 }, { gte: 2 }, { lt: 2 }, { gt: 1, lte: 4 }, { neq: 2 }, { eq: 3 }, { gte: 100 }];
/** The engine deletes a state with no entries and no last match (engine.ts `update`). */
const emptied = (s: WindowState) => s.entries.length === 0 && s.lastMatchEnd === undefined;

describe('window algorithm', () => {
  it('equals the reference on random streams of every type', () => {
    let hits = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed);
      const ruleCount = 2 + (seed % 3);
      const spec: WindowSpec = {
        type: TYPES[seed % TYPES.length]!, timespanMs: 100, latenessMs: [0, 20, 60][seed % 3]!, ruleCount,
        test: conditionTest(CONDITIONS[Math.floor(r() * CONDITIONS.length)]!), keepUnstarted: seed % 4 === 0,
      };
      let fast: WindowState | undefined;
      let reference: WindowState | undefined;
      let t = 0;
      for (let i = 0; i < 60; i++) {
        t += Math.floor(r() * 25);
        const rules = r() < 0.15 ? [0, 1 + Math.floor(r() * (ruleCount - 1))] : [Math.floor(r() * r() * (ruleCount + 1.5)) % ruleCount];
        const entry: WindowEntry = { t: t - Math.floor(r() * r() * 80), id: r() < 0.05 && i > 0 ? `e${i - 1}` : `e${i}`, rules: [...new Set(rules)].sort() };
        if (spec.type === 'value_count') entry.values = [String(Math.floor(r() * 5))];
        if (spec.type === 'value_sum' || spec.type === 'value_avg') entry.values = r() < 0.2 ? ['x'] : [Math.floor(r() * 10)];
        // Re-emission of remembered matches (`recent`, tested in correlation-replay.test.ts) is not the reference's.
        const applied = applyEntry(fast, entry, spec);
        const { recent: _recent, ...state } = applied.state;
        const a = { state, outcome: applied.outcome, hits: applied.outcome === 'added' ? applied.hits : [] };
        const b = referenceApplyEntry(reference, entry, spec);
        assert.deepEqual(a, b, `seed ${seed}, entry ${i}, ${spec.type}`);
        hits += a.hits.length;
        fast = emptied(a.state) ? undefined : a.state;
        reference = emptied(b.state) ? undefined : b.state;
      }
    }
    assert.ok(hits > 20_000, `only ${hits} hits`);
  });
});
