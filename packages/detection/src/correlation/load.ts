/**
 * The Sigma correlation loader: YAML text → a validated `SigmaCorrelation` (Sigma correlation rules specification
 * v2.0.x, "Correlation section", and its JSON schema). Like the rule loader, every problem is collected and thrown
 * together as a `SigmaRuleError` naming the file and the YAML path (`correlation.condition.gte`). The correlation
 * section itself is strict — an unknown key there is a typo that would silently change what fires — while other
 * top-level keys are kept in `custom`, as for detection rules.
 */
import { z } from 'zod';
import { loadRule, parseSingleDocument, RuleLevels, RuleStatuses, type SigmaRule } from '../load.js';
import { ProblemSink, SigmaRuleError, type SigmaProblem } from '../problems.js';

/** The spec's four types, plus `value_sum`/`value_avg` (later spec drafts' metric types; cheap on the same state). */
export const CorrelationTypes = ['event_count', 'value_count', 'temporal', 'temporal_ordered', 'value_sum', 'value_avg'] as const;
export type CorrelationType = (typeof CorrelationTypes)[number];

/** Types whose condition needs a `field` (distinct values, or numeric values to sum or average). */
const FIELD_TYPES: readonly CorrelationType[] = ['value_count', 'value_sum', 'value_avg'];
const TEMPORAL_TYPES: readonly CorrelationType[] = ['temporal', 'temporal_ordered'];

/** "Condition": one criterion or a range (several criteria ANDed). `neq` is accepted as the obvious complement. */
export interface CorrelationCondition {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  neq?: number;
}

const isoDate = z.string().regex(/^\d{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])$/, 'expected an ISO 8601 date YYYY-MM-DD');
const num = z.number().finite();

const ConditionSchema = z
  .strictObject({ gt: num.optional(), gte: num.optional(), lt: num.optional(), lte: num.optional(), eq: num.optional(), neq: num.optional(), field: z.string().min(1).max(256).optional() })
  .refine((c) => ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'].some((k) => k in c), 'needs at least one of gt, gte, lt, lte, eq, neq');

const SectionSchema = z.strictObject({
  type: z.enum(CorrelationTypes),
  rules: z.array(z.string().min(1)).min(1).refine((l) => new Set(l).size === l.length, 'items must be unique'),
  aliases: z.record(z.string(), z.record(z.string(), z.string().min(1))).optional(),
  'group-by': z.array(z.string().min(1)).refine((l) => new Set(l).size === l.length, 'items must be unique'),
  timespan: z.string().regex(/^[1-9]\d*[smhd]$/, "expected a number and a lower-case unit s, m, h or d, like '10m'"),
  condition: ConditionSchema.optional(),
  // pySigma reads `generate` inside the section; the JSON schema has it at the top. Both are accepted.
  generate: z.boolean().optional(),
});

const CorrelationSchema = z.object({
  title: z.string().min(1).max(256),
  id: z.guid().optional(),
  name: z.string().min(1).max(256).optional(),
  status: z.enum(RuleStatuses).optional(),
  description: z.string().max(65535).optional(),
  author: z.string().optional(),
  references: z.array(z.string()).optional(),
  date: isoDate.optional(),
  modified: isoDate.optional(),
  falsepositives: z.union([z.string().min(2), z.array(z.string().min(2))]).transform((v) => (typeof v === 'string' ? [v] : v)).optional(),
  level: z.enum(RuleLevels).optional(),
  tags: z.array(z.string().regex(/^[a-z0-9_-]+\.[a-z0-9._-]+$/, 'expected a namespaced tag like attack.t1609')).optional(),
  generate: z.boolean().optional(),
  correlation: SectionSchema,
});

const KNOWN_KEYS = new Set(Object.keys(CorrelationSchema.shape));

/** A loaded correlation rule. Resolve its references and compile it with `compileCorrelations`. */
export interface SigmaCorrelation {
  file: string;
  title: string;
  id?: string;
  name?: string;
  status?: (typeof RuleStatuses)[number];
  description?: string;
  level?: (typeof RuleLevels)[number];
  tags?: string[];
  falsepositives?: string[];
  type: CorrelationType;
  /** Referenced rules, by `id` or `name`, as written. */
  rules: string[];
  /** alias → (rule name or id → field in that rule's events). */
  aliases: Record<string, Record<string, string>>;
  groupBy: string[];
  /** `timespan` in milliseconds. */
  timespanMs: number;
  /** For temporal types without a condition: all referenced rules (`gte: rules.length`). */
  condition: CorrelationCondition;
  /** The field of value_count / value_sum / value_avg. */
  field?: string;
  /** "Generate": whether the referenced rules also fire on their own (default false: only the correlation). */
  generate: boolean;
  /** Top-level keys outside the spec's list, kept as written. */
  custom: Record<string, unknown>;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `10m` → 600000 (the format was checked by the schema). */
export function parseTimespan(text: string): number {
  return Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1) as keyof typeof UNIT_MS];
}

/** Loads one correlation document; throws `SigmaRuleError` with every problem found. */
export function loadCorrelation(source: string, file: string): SigmaCorrelation {
  const sink = new ProblemSink(file);
  const raw = parseSingleDocument(source, sink);
  if (raw === undefined) throw new SigmaRuleError(sink.problems);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    sink.add('', 'a Sigma correlation rule must be a YAML map');
    throw new SigmaRuleError(sink.problems);
  }
  const parsed = CorrelationSchema.safeParse(raw);
  if (!parsed.success) for (const issue of parsed.error.issues) sink.add(issue.path.map(String).join('.'), issue.message);
  sink.throwIfAny();
  const doc = parsed.data!;
  const section = doc.correlation;
  checkTypeRules(section, sink);
  if (doc.generate !== undefined && section.generate !== undefined && doc.generate !== section.generate) {
    sink.add('correlation.generate', 'contradicts the top-level generate');
  }
  sink.throwIfAny();
  const { field, ...criteria } = section.condition ?? {};
  const custom = Object.fromEntries(Object.entries(raw).filter(([k]) => !KNOWN_KEYS.has(k)));
  return {
    file,
    title: doc.title,
    ...(doc.id !== undefined && { id: doc.id }),
    ...(doc.name !== undefined && { name: doc.name }),
    ...(doc.status !== undefined && { status: doc.status }),
    ...(doc.description !== undefined && { description: doc.description }),
    ...(doc.level !== undefined && { level: doc.level }),
    ...(doc.tags !== undefined && { tags: doc.tags }),
    ...(doc.falsepositives !== undefined && { falsepositives: doc.falsepositives }),
    type: section.type,
    rules: section.rules,
    aliases: section.aliases ?? {},
    groupBy: section['group-by'],
    timespanMs: parseTimespan(section.timespan),
    condition: section.condition ? criteria : { gte: section.rules.length },
    ...(field !== undefined && { field }),
    generate: doc.generate ?? section.generate ?? false,
    custom,
  };
}

/** What each type requires ("Correlation Types": Requires …), checked after the shape is known to be right. */
function checkTypeRules(section: z.infer<typeof SectionSchema>, sink: ProblemSink): void {
  const { type, condition } = section;
  if (!TEMPORAL_TYPES.includes(type) && !condition) sink.add('correlation.condition', `${type} requires a condition`);
  if (FIELD_TYPES.includes(type) && condition && condition.field === undefined) {
    sink.add('correlation.condition.field', `${type} requires the field whose values it aggregates`);
  }
  if (!FIELD_TYPES.includes(type) && condition?.field !== undefined) {
    sink.add('correlation.condition.field', `${type} takes no field`);
  }
  if (TEMPORAL_TYPES.includes(type) && section.rules.length < 2) {
    sink.add('correlation.rules', `${type} needs at least two rules`);
  }
  for (const [alias, mapping] of Object.entries(section.aliases ?? {})) {
    if (!section['group-by'].includes(alias)) sink.add(`correlation.aliases.${alias}`, 'alias is not used in group-by');
    for (const ref of Object.keys(mapping)) {
      if (!section.rules.includes(ref)) sink.add(`correlation.aliases.${alias}.${ref}`, `'${ref}' is not one of the correlated rules`);
    }
  }
}

/** Every document a rules directory holds, sorted by kind. */
export interface SigmaFiles {
  rules: SigmaRule[];
  correlations: SigmaCorrelation[];
}

/** Loads detection and correlation documents together (dispatching on a top-level `correlation` key). */
export function loadSigmaFiles(sources: { file: string; source: string }[]): SigmaFiles {
  const out: SigmaFiles = { rules: [], correlations: [] };
  const problems: SigmaProblem[] = [];
  for (const { file, source } of sources) {
    try {
      if (/^correlation\s*:/m.test(source)) out.correlations.push(loadCorrelation(source, file));
      else out.rules.push(loadRule(source, file));
    } catch (error) {
      if (!(error instanceof SigmaRuleError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new SigmaRuleError(problems);
  return out;
}
