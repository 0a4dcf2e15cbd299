/**
 * The Sigma rule loader: YAML text → a validated `SigmaRule` (rules spec v2, "File Structure"). Every problem is
 * collected and thrown together as a `SigmaRuleError` naming the file and the YAML path. Known attributes are
 * type-checked strictly; other top-level keys are kept in `custom`, because the spec's file structure ends in
 * "[arbitrary custom fields]". Things the spec defines that Bulwark does not run yet (correlation and filter
 * documents, multi-document rule collections) are errors, never ignored.
 */
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { compileDespiteLoadProblems } from './compile.js';
import { parseCondition, type ConditionNode } from './condition.js';
import { childPath, ProblemSink, SigmaRuleError, type SigmaProblem } from './problems.js';

// Constraints follow the spec's JSON schema (json-schema/sigma-detection-rule-schema.json, v2.0.0).
const isoDate = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$/, 'expected an ISO 8601 date YYYY-MM-DD');
const text = z.string().min(1);
const unique = <T extends z.ZodType>(item: T) =>
  z.array(item).refine((list) => new Set(list).size === list.length, 'items must be unique');
const textList = unique(z.string());

/** "Status" and "Level": the closed vocabularies of the spec. */
export const RuleStatuses = ['stable', 'test', 'experimental', 'deprecated', 'unsupported'] as const;
export const RuleLevels = ['informational', 'low', 'medium', 'high', 'critical'] as const;

const KNOWN_KEYS = [
  'title', 'id', 'name', 'related', 'taxonomy', 'status', 'description', 'license', 'author', 'references',
  'date', 'modified', 'logsource', 'detection', 'fields', 'falsepositives', 'level', 'tags', 'scope', 'new_terms',
] as const;

const RuleSchema = z.object({
  title: text.max(256),
  id: z.guid().optional(),
  name: text.max(256).optional(),
  related: z
    .array(z.strictObject({ id: z.guid(), type: z.enum(['derived', 'obsolete', 'merged', 'renamed', 'similar']) }))
    .optional(),
  taxonomy: text.max(256).optional(),
  status: z.enum(RuleStatuses).optional(),
  description: z.string().max(65535).optional(),
  license: text.optional(),
  author: z.string().optional(),
  references: textList.optional(),
  date: isoDate.optional(),
  modified: isoDate.optional(),
  // "LogSource": category, product, service, definition, and "an arbitrary number of optional elements".
  logsource: z
    .looseObject({ category: text.optional(), product: text.optional(), service: text.optional(), definition: z.string().optional() })
    .refine((l) => l.category || l.product || l.service, 'needs at least one of category, product, service'),
  detection: z.record(z.string(), z.unknown()),
  fields: textList.optional(),
  // A list, or a single string (the schema allows both); always a list once loaded.
  falsepositives: z
    .union([z.string().min(2), unique(z.string().min(2))])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .optional(),
  level: z.enum(RuleLevels).optional(),
  // "Tags": lower-case letters, numerals, underscores and hyphens, namespaced with dots.
  tags: unique(z.string().regex(/^[a-z0-9_-]+\.[a-z0-9._-]+$/, 'expected a namespaced tag like attack.t1609')).optional(),
  scope: z.array(z.string().min(2)).optional(),
  // Bulwark's extension (new-terms.ts): alert only for a combination of these fields' values not seen in the window.
  new_terms: z
    .strictObject({
      fields: unique(z.string().regex(/^[A-Za-z0-9_@.\/-]+$/, 'a field name')).min(1).max(4),
      history_window: z.string().regex(/^[1-9]\d*[smhd]$/, "expected a number and a lower-case unit s, m, h or d, like '14d'"),
    })
    .optional(),
});

type RuleAttributes = z.infer<typeof RuleSchema>;

/** A loaded rule: its attributes as written plus the parsed condition(s). Compile with `compileRules`. */
export interface SigmaRule extends RuleAttributes {
  /** Where the rule came from, for every later error and alert. */
  file: string;
  /** Parsed `detection.condition`; several are ORed ("Condition": a list "logically linked with OR"). */
  conditions: ConditionNode[];
  /** Top-level keys outside the spec's list, kept as written. */
  custom: Record<string, unknown>;
}

/** A condition that parsed, and where it was written (`detection.condition` or `detection.condition.<i>`). */
export interface ParsedCondition {
  node: ConditionNode;
  path: string;
}

/** Loads one rule file; throws `SigmaRuleError` with every problem found. */
export function loadRule(source: string, file: string): SigmaRule {
  const sink = new ProblemSink(file);
  const document = parseSingleDocument(source, sink);
  if (document === undefined) throw new SigmaRuleError(sink.problems);
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    sink.add('', 'a Sigma rule must be a YAML map');
    throw new SigmaRuleError(sink.problems);
  }
  const raw = document as Record<string, unknown>;
  rejectOtherDocumentKinds(raw, sink);
  const parsed = RuleSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) sink.add(issue.path.map(String).join('.'), issue.message);
  }
  const parsedConditions = parseConditions(raw.detection, sink);
  if (!sink.empty) {
    // One pass lists everything: the search identifiers and the conditions that did parse are still compiled, so an
    // unknown modifier or identifier is not hidden behind a condition that does not parse or a bad attribute.
    compileDespiteLoadProblems(raw.detection, parsedConditions, sink);
    sink.throwIfAny();
  }
  const conditions = parsedConditions.map((c) => c.node);
  const custom = Object.fromEntries(Object.entries(raw).filter(([k]) => !(KNOWN_KEYS as readonly string[]).includes(k)));
  return { ...parsed.data!, file, conditions, custom };
}

/** Loads many files, reporting the problems of all of them together. */
export function loadRules(sources: { file: string; source: string }[]): SigmaRule[] {
  const rules: SigmaRule[] = [];
  const problems: SigmaProblem[] = [];
  for (const { file, source } of sources) {
    try {
      rules.push(loadRule(source, file));
    } catch (error) {
      if (!(error instanceof SigmaRuleError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new SigmaRuleError(problems);
  return rules;
}

/** One YAML document as plain data, or undefined after recording why not; shared with the correlation loader. */
export function parseSingleDocument(source: string, sink: ProblemSink): unknown {
  const documents = parseAllDocuments(source, { uniqueKeys: true });
  if (!Array.isArray(documents)) return null; // empty stream
  if (documents.length !== 1) {
    sink.add('', `expected one YAML document, found ${documents.length} (rule collections are not supported)`);
    return undefined;
  }
  const [document] = documents;
  for (const error of document!.errors) sink.add('', `YAML: ${error.message}`);
  return sink.empty ? document!.toJS() : undefined;
}

/** Correlation and filter documents share the file format but are other specifications (correlations load with
 * `loadCorrelation` / `loadSigmaFiles`, filters are not run yet). */
function rejectOtherDocumentKinds(raw: Record<string, unknown>, sink: ProblemSink): void {
  if ('correlation' in raw) sink.add('correlation', 'a Sigma correlation rule: load it with loadCorrelation or loadSigmaFiles');
  if ('filter' in raw) sink.add('filter', 'Sigma filters are not supported yet');
  if ('action' in raw) sink.add('action', "rule collections ('action') are not supported");
}

/** "Condition": mandatory, a string or a list of strings. Each parsed condition keeps its YAML path. */
function parseConditions(detection: unknown, sink: ProblemSink): ParsedCondition[] {
  if (detection === null || typeof detection !== 'object' || Array.isArray(detection)) return [];
  const condition = (detection as Record<string, unknown>).condition;
  const path = 'detection.condition';
  if (condition === undefined) {
    sink.add(path, 'a condition is required');
    return [];
  }
  const list = Array.isArray(condition) ? condition : [condition];
  if (list.length === 0) sink.add(path, 'a condition list must not be empty');
  const parsed: ParsedCondition[] = [];
  list.forEach((item, i) => {
    const itemPath = Array.isArray(condition) ? childPath(path, i) : path;
    if (typeof item !== 'string' || item.trim() === '') sink.add(itemPath, 'a condition must be a non-empty string');
    else {
      const node = parseCondition(item, sink, itemPath);
      if (node) parsed.push({ node, path: itemPath });
    }
  });
  return parsed;
}
