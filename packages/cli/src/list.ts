/** `bulwark rules list <dir|file…>`: one line per rule (id, level, title, logsource, tags), then the problems. */
import { formatProblem, type SigmaCorrelation, type SigmaRule } from '@bulwark/detection';
import { loadCatalog } from './catalog.js';
import { findRuleFiles } from './files.js';
import { EXIT, line, type CliIo } from './io.js';

function logsourceText(rule: SigmaRule | SigmaCorrelation): string {
  if (!('logsource' in rule)) return `correlation/${rule.type}`;
  const { category, product, service } = rule.logsource;
  return [product, service, category].filter(Boolean).join('/');
}

export function listCommand(paths: string[], json: boolean, io: CliIo): number {
  const { files, missing } = findRuleFiles(paths);
  for (const path of missing) line(io.stderr, `${path}: no such file or directory`);
  const { rules, correlations, problems } = loadCatalog(files);
  const rows = [...rules, ...correlations].map((r) => ({
    id: r.id ?? '',
    level: r.level ?? '',
    title: r.title,
    logsource: logsourceText(r),
    tags: r.tags ?? [],
    file: r.file,
  }));
  if (json) line(io.stdout, JSON.stringify(rows, null, 2));
  else {
    for (const r of rows) line(io.stdout, [r.id, r.level.padEnd(8), r.title, `[${r.logsource}]`, r.tags.join(',')].join('  '));
    line(io.stdout, `${rows.length} rules`);
  }
  for (const problem of problems) line(io.stderr, formatProblem(problem));
  return missing.length > 0 || problems.length > 0 ? EXIT.failed : EXIT.ok;
}
