/**
 * `bulwark rules test <dir|file…>`: every rule's fixtures through the compiled, indexed rule set — every true
 * positive must fire the rule, every true negative must not. Correlation rules take sequences of events instead:
 * each sequence goes, in order, through the rule set and a fresh correlation engine (in-memory state) holding every
 * correlation, and a true positive must make the correlation fire, a true negative must not. A rule or correlation
 * without fixtures, or without at least one of each kind, fails: a rule nobody has seen fire (and not fire) is not
 * tested.
 */
import {
  compileCorrelations, CorrelationEngine, formatProblem, InMemoryCorrelationState, SigmaRuleError,
  type CorrelationSet, type RuleSet, type SigmaCorrelation, type SigmaRule,
} from '@bulwark/detection';
import { loadCatalog } from './catalog.js';
import { findRuleFiles, fixtureFilesFor, readSources } from './files.js';
import { describeEvent, parseFixtureFile, parseSequenceFixtureFile, type Fixture, type SequenceFixture } from './fixtures.js';
import { EXIT, line, type CliIo } from './io.js';

/** Totals, also returned for tests and scripts. */
export interface TestSummary {
  rules: number;
  rulesFailed: number;
  fixtures: number;
  truePositives: number;
  trueNegatives: number;
  failures: number;
}

/** The failures of one rule: fixture files, fixture events that disagree with the rule, missing fixtures. */
function testRule(rule: SigmaRule, set: RuleSet, summary: TestSummary): string[] {
  const failures: string[] = [];
  const fixtureFiles = fixtureFilesFor(rule.file);
  if (fixtureFiles.length === 0) return [`${rule.file}: no fixtures (expected ${rule.file.replace(/\.ya?ml$/i, '.fixtures.yml')})`];
  const fixtures: Fixture[] = [];
  for (const source of readSources(fixtureFiles)) {
    const parsed = parseFixtureFile(source);
    fixtures.push(...parsed.fixtures);
    for (const p of parsed.problems) failures.push(`${p.file}: ${p.path || '(document)'}: ${p.message}`);
  }
  const datasets = set.rules.find((c) => c.rule === rule)?.datasets ?? [];
  for (const fixture of fixtures) {
    summary.fixtures++;
    const dataset = (fixture.event as { event: { dataset: string } }).event.dataset;
    if (!datasets.includes(dataset)) {
      // The rule never sees such an event: a negative proves nothing, a positive can never pass.
      failures.push(`${fixture.file}: ${fixture.path}.event.dataset: '${dataset}' is not a dataset this rule reads (${datasets.join(', ')})`);
      continue;
    }
    const fired = set.match(fixture.event).some((m) => m.rule === rule);
    const positive = fixture.kind === 'true_positives';
    if (positive) summary.truePositives++;
    else summary.trueNegatives++;
    if (fired !== positive) {
      const what = positive ? 'should match but did not' : 'matched but should not';
      failures.push(`${fixture.file}: ${fixture.path}: ${describeEvent(fixture.event)} ${what} (rule ${rule.file}: ${rule.title})`);
    }
  }
  for (const kind of ['true_positives', 'true_negatives'] as const) {
    if (!fixtures.some((f) => f.kind === kind)) failures.push(`${rule.file}: fixtures have no ${kind}`);
  }
  return failures;
}

/** The failures of one correlation: fixture files, sequences that disagree with it, missing fixtures. */
async function testCorrelation(correlation: SigmaCorrelation, set: RuleSet, correlations: CorrelationSet, summary: TestSummary): Promise<string[]> {
  const failures: string[] = [];
  const fixtureFiles = fixtureFilesFor(correlation.file);
  if (fixtureFiles.length === 0) return [`${correlation.file}: no fixtures (expected ${correlation.file.replace(/\.ya?ml$/i, '.fixtures.yml')})`];
  const sequences: SequenceFixture[] = [];
  for (const source of readSources(fixtureFiles)) {
    const parsed = parseSequenceFixtureFile(source);
    sequences.push(...parsed.sequences);
    for (const p of parsed.problems) failures.push(`${p.file}: ${p.path || '(document)'}: ${p.message}`);
  }
  for (const sequence of sequences) {
    summary.fixtures++;
    const positive = sequence.kind === 'true_positives';
    if (positive) summary.truePositives++;
    else summary.trueNegatives++;
    const engine = new CorrelationEngine(correlations, { state: new InMemoryCorrelationState() });
    let fired = false;
    for (const event of sequence.events) {
      const matched = set.match(event).map((m) => m.rule.id ?? m.rule.name ?? m.rule.title);
      if ((await engine.process(event, matched)).some((m) => m.rule === correlation)) fired = true;
    }
    if (fired !== positive) {
      const what = positive ? 'should fire but did not' : 'fired but should not';
      failures.push(
        `${sequence.file}: ${sequence.path}: sequence of ${sequence.events.length} events (${describeEvent(sequence.events[0])} …) ${what} ` +
          `(correlation ${correlation.file}: ${correlation.title})`,
      );
    }
  }
  for (const kind of ['true_positives', 'true_negatives'] as const) {
    if (!sequences.some((f) => f.kind === kind)) failures.push(`${correlation.file}: fixtures have no ${kind}`);
  }
  return failures;
}

/** The correlations that loaded without problems, compiled together; undefined when they do not compile. */
function compileValid(correlations: SigmaCorrelation[], rules: SigmaRule[], broken: Set<string>): CorrelationSet | undefined {
  try {
    return compileCorrelations(correlations.filter((c) => !broken.has(c.file)), rules);
  } catch (error) {
    if (!(error instanceof SigmaRuleError)) throw error;
    return undefined;
  }
}

export async function testCommand(paths: string[], io: CliIo): Promise<{ code: number; summary: TestSummary }> {
  const summary: TestSummary = { rules: 0, rulesFailed: 0, fixtures: 0, truePositives: 0, trueNegatives: 0, failures: 0 };
  const { files, missing } = findRuleFiles(paths);
  for (const path of missing) line(io.stderr, `${path}: no such file or directory`);
  const { rules, correlations, set, problems } = loadCatalog(files);
  for (const problem of problems) line(io.stderr, `FAIL ${formatProblem(problem)}`);
  summary.failures += problems.length;
  summary.rules = files.length;
  summary.rulesFailed = new Set(problems.map((p) => p.file)).size;
  const broken = new Set(problems.map((p) => p.file));
  for (const rule of rules) {
    const failures = testRule(rule, set, summary);
    for (const failure of failures) line(io.stderr, `FAIL ${failure}`);
    summary.failures += failures.length;
    if (failures.length > 0 && !broken.has(rule.file)) summary.rulesFailed++;
  }
  const correlationSet = compileValid(correlations, rules, broken);
  for (const correlation of correlations) {
    if (broken.has(correlation.file)) continue; // its problems are already reported and counted
    const failures = correlationSet
      ? await testCorrelation(correlation, set, correlationSet, summary)
      : [`${correlation.file}: fixtures not run: the correlations do not compile together (see the problems above)`];
    for (const failure of failures) line(io.stderr, `FAIL ${failure}`);
    summary.failures += failures.length;
    if (failures.length > 0) summary.rulesFailed++;
  }
  const s = summary;
  line(
    io.stdout,
    `${s.rules} rules, ${s.rules - s.rulesFailed} passed, ${s.rulesFailed} failed; ` +
      `${s.fixtures} fixtures (${s.truePositives} true positives, ${s.trueNegatives} true negatives), ${s.failures} failures`,
  );
  const failed = missing.length > 0 || s.failures > 0 || files.length === 0;
  return { code: failed ? EXIT.failed : EXIT.ok, summary };
}
