/** `bulwark rules validate <dir|file…>`: load and compile every rule, print every problem with its file and path. */
import { formatProblem } from '@bulwark/detection';
import { loadCatalog } from './catalog.js';
import { findRuleFiles } from './files.js';
import { EXIT, line, type CliIo } from './io.js';

export function validateCommand(paths: string[], io: CliIo): number {
  const { files, missing } = findRuleFiles(paths);
  for (const path of missing) line(io.stderr, `${path}: no such file or directory`);
  const { rules, correlations, problems } = loadCatalog(files);
  for (const problem of problems) line(io.stderr, formatProblem(problem));
  const bad = new Set(problems.map((p) => p.file));
  const valid = [...rules, ...correlations].filter((r) => !bad.has(r.file)).length;
  line(io.stdout, `${files.length} rule files, ${valid} valid, ${bad.size} with problems, ${problems.length} problems`);
  return missing.length > 0 || problems.length > 0 || files.length === 0 ? EXIT.failed : EXIT.ok;
}
