/**
 * Rule problems. Bulwark validates rules once at the edge and reports every problem together, each naming the
 * file and the YAML path (`detection.selection.CommandLine|contains|allx`), so a rule author fixes a rule in one
 * pass and CI can print the list as is.
 */

import { BulwarkError } from '@bulwark/schema';

/** One thing wrong with a rule: where (file and YAML path) and what. */
export interface SigmaProblem {
  file: string;
  /** Dotted YAML path; detection keys are kept whole, modifiers included. Empty for the whole document. */
  path: string;
  message: string;
}

/** Thrown by the loader and compiler with every problem found, never just the first. */
export class SigmaRuleError extends BulwarkError<'BWK_SIGMA_RULE_INVALID'> {
  constructor(readonly problems: SigmaProblem[]) {
    super(
      'BWK_SIGMA_RULE_INVALID',
      problems.length === 1
        ? formatProblem(problems[0]!)
        : `${problems.length} rule problems:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'),
      { problems },
    );
    this.name = 'SigmaRuleError';
  }
}

export function formatProblem(p: SigmaProblem): string {
  return `${p.file}: ${p.path || '(document)'}: ${p.message}`;
}

/** Collects problems while compiling one rule; `at` builds child paths the way YAML nests them. */
export class ProblemSink {
  readonly problems: SigmaProblem[] = [];
  constructor(readonly file: string) {}

  add(path: string, message: string): void {
    this.problems.push({ file: this.file, path, message });
  }

  get empty(): boolean {
    return this.problems.length === 0;
  }

  throwIfAny(): void {
    if (this.problems.length > 0) throw new SigmaRuleError(this.problems);
  }
}

/** `parent.child`, without a leading dot when the parent is the document. */
export function childPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}.${key}`;
}
