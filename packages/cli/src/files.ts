/**
 * The rule files a `bulwark rules` command reads: the files and directories named on the command line, directories
 * walked with detection's own `findRuleFiles` (the layout the correlator loads, fixtures left out), so the CLI
 * validates and tests exactly what the services would run.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { findRuleFiles as findRuleFilesIn } from '@bulwark/detection';

export { fixtureFilesFor } from '@bulwark/detection';

/** A file read from disk, named as the user gave it (relative paths stay relative in every message). */
export interface SourceFile {
  file: string;
  source: string;
}

/** Rule files under the given files and directories, sorted and deduplicated; paths that do not exist are listed. */
export function findRuleFiles(paths: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) missing.push(path);
    else if (statSync(path).isDirectory()) files.push(...findRuleFilesIn(path));
    else files.push(path);
  }
  return { files: [...new Set(files)].sort(), missing };
}

export function readSources(files: string[]): SourceFile[] {
  return files.map((file) => ({ file, source: readFileSync(file, 'utf8') }));
}
