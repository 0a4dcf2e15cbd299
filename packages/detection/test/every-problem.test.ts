/**
 * A rule file's problems come out in one pass: a condition that does not parse (or a bad attribute) no longer hides
 * the problems of the search identifiers and of the other conditions, in the loader every service runs
 * (packages/cli/test/validate-every-problem.test.ts shows `bulwark rules validate` printing them).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRules, loadRule, loadSigmaFiles, SigmaRuleError, type SigmaProblem } from '../src/index.js';

const RULE = (detection: string, extra = '') => `title: every problem
id: 6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b
${extra}logsource: {product: kubernetes, service: audit}
detection:
${detection}`;

/** A condition that does not parse, beside an unknown modifier and a regex RE2 refuses. */
const BROKEN = RULE(`  selection:
    verb|containz: create
  other:
    user.username|re: '(['
  condition: selection and (other
`);

function problemsOf(load: () => unknown): SigmaProblem[] {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof SigmaRuleError, String(error));
    return error.problems;
  }
  assert.fail('expected a SigmaRuleError');
}

const paths = (problems: SigmaProblem[]) => problems.map((p) => p.path).sort();

describe('every problem of a rule in one pass', () => {
  it('reports the identifiers after a condition fails to parse', () => {
    const problems = problemsOf(() => loadRule(BROKEN, 'broken.yml'));
    assert.deepEqual(paths(problems), ['detection.condition', 'detection.other.user.username|re', 'detection.selection.verb|containz']);
    assert.match(problems.find((p) => p.path === 'detection.condition')!.message, /expected "\)"/);
    assert.match(problems.find((p) => p.path.endsWith('containz'))!.message, /unknown modifier 'containz'/);
  });

  it('checks the conditions that parsed when another item of the list does not', () => {
    const rule = RULE(`  selection:
    verb: create
  condition:
    - selection and
    - selection or missing
    - 1 of nothing*
`);
    const problems = problemsOf(() => loadRule(rule, 'list.yml'));
    assert.deepEqual(paths(problems), ['detection.condition.0', 'detection.condition.1', 'detection.condition.2']);
    assert.match(problems[1]!.message, /unknown search identifier 'missing' at column 14/);
    assert.match(problems[2]!.message, /pattern 'nothing\*' .* matches no search identifier/);
  });

  it('reports identifier problems beside a bad attribute, but not placeholders (configuration decides those)', () => {
    const rule = RULE(`  selection:
    verb|endswithh: create
    user.username|expand: '%admins%'
  condition: selection
`, 'level: severe\n');
    const problems = problemsOf(() => loadRule(rule, 'attr.yml'));
    assert.deepEqual(paths(problems), ['detection.selection.verb|endswithh', 'level']);
  });

  it('a valid rule still loads, and a missing placeholder is still refused when it compiles', () => {
    const rule = RULE(`  selection:
    user.username|expand: '%admins%'
  condition: selection
`);
    const loaded = loadRule(rule, 'ok.yml');
    assert.equal(loaded.conditions.length, 1);
    const problems = problemsOf(() => compileRules([loaded]));
    assert.deepEqual(problems.map((p) => p.message), ["placeholder '%admins%' has no configured value"]);
    assert.equal(compileRules([loaded], { placeholders: { admins: ['alice'] } }).rules.length, 1);
  });

  it('the services load path (loadSigmaFiles) lists them all too', () => {
    const problems = problemsOf(() => loadSigmaFiles([{ file: 'broken.yml', source: BROKEN }]));
    assert.equal(problems.length, 3);
  });
});
