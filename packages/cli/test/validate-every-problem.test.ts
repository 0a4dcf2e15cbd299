/**
 * `bulwark rules validate` prints every problem of a rule file in one pass: a condition that does not parse no longer
 * hides an unknown modifier or a bad regex in the same file (the loader keeps compiling what did load).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli, EXEC_RULE, ruleDir } from './helpers.js';

const BROKEN = `title: three problems
id: 6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b
logsource: {product: kubernetes, service: audit}
detection:
  selection:
    verb|containz: create
  other:
    user.username|re: '(['
  condition: selection and (other
`;

test('rules validate lists the condition, modifier and regex problems of one file, and still passes the good file', async () => {
  const dir = ruleDir({ 'broken.yml': BROKEN, 'good.yml': EXEC_RULE });
  const run = await cli('rules', 'validate', dir);
  assert.equal(run.code, 1);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 3, run.stderr);
  assert.ok(lines.every((l) => l.includes('broken.yml: detection.')), run.stderr);
  assert.ok(lines.some((l) => l.endsWith("detection.condition: expected \")\" but the condition ended at column 21 of 'selection and (other'")), run.stderr);
  assert.ok(lines.some((l) => l.endsWith("detection.selection.verb|containz: unknown modifier 'containz'")), run.stderr);
  assert.ok(lines.some((l) => l.includes('detection.other.user.username|re: invalid or unsupported regular expression')), run.stderr);
  assert.match(run.stdout, /^2 rule files, 1 valid, 1 with problems, 3 problems, 0 field warnings$/m);
});
