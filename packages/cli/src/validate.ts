/**
 * `bulwark rules validate [--strict] <dir|file…>`: load and compile every rule, print every problem with its file and
 * path; then the field-coverage lint (fields no event of the rule's datasets can carry, text compared with a number,
 * values outside a field's domain) as warnings, or as problems with `--strict`.
 */
import { formatProblem } from '@bulwark/detection';
import { loadCatalog } from './catalog.js';
import { fieldProblems } from './field-coverage.js';
import { findRuleFiles } from './files.js';
import { EXIT, line, type CliIo } from './io.js';

export function validateCommand(paths: string[], io: CliIo, strict = false): number {
  const { files, missing } = findRuleFiles(paths);
  for (const path of missing) line(io.stderr, `${path}: no such file or directory`);
  const { rules, correlations, problems } = loadCatalog(files);
  const fields = fieldProblems(rules);
  const all = strict ? [...problems, ...fields] : problems;
  for (const problem of all) line(io.stderr, formatProblem(problem));
  if (!strict) for (const warning of fields) line(io.stderr, `warning: ${formatProblem(warning)}`);
  const bad = new Set(all.map((p) => p.file));
  const valid = [...rules, ...correlations].filter((r) => !bad.has(r.file)).length;
  const warned = strict ? '' : `, ${fields.length} field warnings`;
  line(io.stdout, `${files.length} rule files, ${valid} valid, ${bad.size} with problems, ${all.length} problems${warned}`);
  return missing.length > 0 || all.length > 0 || files.length === 0 ? EXIT.failed : EXIT.ok;
}
