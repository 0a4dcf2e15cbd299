/** The condition grammar (rules spec v2, "Condition"): every form, precedence, and errors with a column. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRules, loadRule, SigmaRuleError } from '../src/index.js';
import { event, matches, ruleYaml } from './helpers.js';

const IDS = 'sel_a:\n  a: 1\nsel_b:\n  b: 1\nfilter_c:\n  c: 1\n_helper:\n  h: 1\n';
const cond = (condition: string) => `${IDS}condition: ${condition}`;
const ev = (...set: string[]) => event(Object.fromEntries(set.map((k) => [k, 1])));

function errorsOf(detection: string): string[] {
  try {
    compileRules([loadRule(ruleYaml(detection), 'rules/c.yml')]);
  } catch (error) {
    assert.ok(error instanceof SigmaRuleError);
    return error.problems.map((p) => `${p.file}|${p.path}|${p.message}`);
  }
  return [];
}

describe('condition', () => {
  it('and / or / not', () => {
    assert.equal(matches(cond('sel_a and sel_b'), ev('a', 'b')), true);
    assert.equal(matches(cond('sel_a and sel_b'), ev('a')), false);
    assert.equal(matches(cond('sel_a or sel_b'), ev('b')), true);
    assert.equal(matches(cond('sel_a or sel_b'), ev('c')), false);
    assert.equal(matches(cond('sel_a and not filter_c'), ev('a')), true);
    assert.equal(matches(cond('sel_a and not filter_c'), ev('a', 'c')), false);
  });

  it('binds and tighter than or, not tighter than and', () => {
    // sel_a or (sel_b and filter_c)
    assert.equal(matches(cond('sel_a or sel_b and filter_c'), ev('a')), true);
    assert.equal(matches(cond('sel_a or sel_b and filter_c'), ev('b')), false);
    // (not sel_a) and sel_b
    assert.equal(matches(cond('not sel_a and sel_b'), ev('b')), true);
    assert.equal(matches(cond('not sel_a and sel_b'), ev('a', 'b')), false);
  });

  it('parentheses override precedence', () => {
    assert.equal(matches(cond('(sel_a or sel_b) and filter_c'), ev('a')), false);
    assert.equal(matches(cond('(sel_a or sel_b) and filter_c'), ev('a', 'c')), true);
    assert.equal(matches(cond('not (sel_a or sel_b)'), ev('c')), true);
    assert.equal(matches(cond('not (sel_a or sel_b)'), ev('b')), false);
  });

  it('1 of pattern and all of pattern', () => {
    assert.equal(matches(cond('1 of sel_*'), ev('b')), true);
    assert.equal(matches(cond('1 of sel_*'), ev('c')), false);
    assert.equal(matches(cond('all of sel_*'), ev('a', 'b')), true);
    assert.equal(matches(cond('all of sel_*'), ev('a')), false);
    assert.equal(matches(cond('1 of sel_* and not 1 of filter*'), ev('a', 'c')), false);
    assert.equal(matches(cond('1 of sel_* and not 1 of filter*'), ev('a')), true);
  });

  it('1 of them and all of them skip identifiers starting with _', () => {
    assert.equal(matches(cond('1 of them'), ev('c')), true);
    assert.equal(matches(cond('1 of them'), ev('h')), false);
    assert.equal(matches(cond('all of them'), ev('a', 'b', 'c')), true);
    assert.equal(matches(cond('all of them'), ev('a', 'b')), false);
  });

  it('a condition list is an OR', () => {
    const rule = `${IDS}condition:\n  - sel_a and sel_b\n  - filter_c`;
    assert.equal(matches(rule, ev('c')), true);
    assert.equal(matches(rule, ev('a', 'b')), true);
    assert.equal(matches(rule, ev('a')), false);
  });

  it('reports unknown identifiers with their column', () => {
    assert.deepEqual(errorsOf(cond('sel_a and sel_x')), [
      "rules/c.yml|detection.condition|unknown search identifier 'sel_x' at column 11",
    ]);
  });

  it('reports syntax errors with their column', () => {
    const [missing] = errorsOf(cond('sel_a and (sel_b or'));
    assert.match(missing!, /detection\.condition\|expected .* but the condition ended at column 20/);
    const [stray] = errorsOf(cond('sel_a sel_b'));
    assert.match(stray!, /unexpected 'sel_b' at column 7/);
    const [close] = errorsOf(cond('sel_a)'));
    assert.match(close!, /unexpected '\)' at column 6/);
  });

  it("rejects 'any of' and other quantifiers (the spec has only '1 of' and 'all of')", () => {
    assert.match(errorsOf(cond('any of sel_*'))[0]!, /unsupported quantifier 'any'.*'1 of'.* at column 1/);
    assert.match(errorsOf(cond('2 of sel_*'))[0]!, /unsupported quantifier '2'/);
  });

  it('rejects Sigma v1 aggregations and timeframe, pointing to correlation rules', () => {
    assert.match(errorsOf(cond('sel_a | count() by b > 5'))[0]!, /aggregation after '\|' at column 7 .*correlation rule/);
    assert.deepEqual(errorsOf(`${cond('sel_a')}\ntimeframe: 5m`), [
      "rules/c.yml|detection.timeframe|'timeframe' is Sigma v1 aggregation; write a correlation rule (timespan)",
    ]);
  });

  it('compiles nested forms: not of, parentheses around of, deep nesting', () => {
    const rule = cond('(1 of sel_* and not all of filter*) or (not (sel_a) and not (not filter_c))');
    assert.equal(matches(rule, ev('a')), true);
    assert.equal(matches(rule, ev('c')), true);
    assert.equal(matches(rule, ev('a', 'c')), false);
    assert.equal(matches(rule, ev('h')), false);
  });

  it('reports patterns that match no identifier', () => {
    assert.match(errorsOf(cond('1 of nothing*'))[0]!, /pattern 'nothing\*' at column 6 matches no search identifier/);
  });
});
