/**
 * Field coverage: does every field a rule names exist, with the right type and a possible value, in the events its
 * logsource reads? A rule that names a field no event has never fires, and nobody notices — SigmaHQ's Kubernetes
 * rules have several (`hostPath` at the top level instead of under `requestObject.spec.volumes`, `apiGroup` instead of
 * `objectRef.apiGroup`, `responseStatus.code` compared with the string `ALLOW`). The lint reports, per field reference:
 *
 * - a field that cannot exist: not in the dataset's catalogue and under no open object (`field-catalogue.ts`), with a
 *   known path ending the same way as a suggestion;
 * - a type mismatch: text compared with a field that only holds numbers;
 * - a value outside the field's domain (`verb: replace`: Kubernetes never logs it), for exact comparisons.
 *
 * Audit rules' native names resolve under `kubernetes.audit` first, as the matcher does (`fields.ts`).
 */
import { AUDIT_DATASET } from './fields.js';
import type { DatasetFields, FieldCatalogue, FieldInfo } from './field-catalogue.js';
import type { SigmaRule } from './load.js';
import { datasetsFor, DEFAULT_LOGSOURCES, type LogsourceMapping } from './logsource.js';
import type { SigmaProblem } from './problems.js';

export interface FieldRef {
  /** YAML path of the key (`detection.selection.verb`). */
  path: string;
  field: string;
  modifiers: string[];
  values: unknown[];
}

/** Every `field|modifiers: values` of a rule's search identifiers (keyword lists name no field). */
export function fieldRefs(detection: Record<string, unknown>): FieldRef[] {
  const refs: FieldRef[] = [];
  for (const [name, body] of Object.entries(detection)) {
    if (name === 'condition' || name === 'timeframe') continue;
    const maps = Array.isArray(body) ? body.filter((b) => b !== null && typeof b === 'object' && !Array.isArray(b)) : [body];
    maps.forEach((map, i) => {
      if (map === null || typeof map !== 'object' || Array.isArray(map)) return;
      for (const [key, value] of Object.entries(map as Record<string, unknown>)) {
        const [field = '', ...modifiers] = key.split('|');
        if (field === '') continue;
        const path = `detection.${name}${Array.isArray(body) ? `.${i}` : ''}.${key}`;
        refs.push({ path, field, modifiers, values: Array.isArray(value) ? value : [value] });
      }
    });
  }
  return refs;
}

/** The catalogue entry a rule field resolves to in a dataset, or `open` under an open object, or undefined. */
function resolve(fields: DatasetFields, dataset: string, field: string): FieldInfo | 'open' | undefined {
  const candidates = dataset === AUDIT_DATASET ? [`kubernetes.audit.${field}`, field] : [field];
  for (const path of candidates) {
    const info = fields.paths.get(path);
    if (info) return info;
    for (const open of fields.open) if (path.startsWith(`${open}.`)) return 'open';
  }
  return undefined;
}

function suggestion(fields: DatasetFields, dataset: string, field: string): string | undefined {
  const last = field.split('.').at(-1)!;
  const strip = (p: string) => (dataset === AUDIT_DATASET && p.startsWith('kubernetes.audit.') ? p.slice('kubernetes.audit.'.length) : p);
  const found = [...fields.paths.keys()].filter((p) => p !== field && (p.endsWith(`.${last}`) || p === last)).map(strip);
  return found.length > 0 ? [...new Set(found)].slice(0, 3).join(', ') : undefined;
}

const NUMERIC_TEXT = /^-?\d+(\.\d+)?$/;
/** Modifiers that compare text as it is (others — `re`, `cidr`, `exists`, comparisons — are not checked for domain). */
const EXACT = new Set(['all']);

/** The lint's findings for one rule over the datasets its logsource reads. */
export function lintFields(file: string, detection: Record<string, unknown>, datasets: readonly string[], catalogue: FieldCatalogue): SigmaProblem[] {
  const problems: SigmaProblem[] = [];
  const known = datasets.filter((d) => catalogue.has(d));
  if (known.length === 0) return problems;
  for (const ref of fieldRefs(detection)) {
    const resolved = known.map((d) => ({ dataset: d, info: resolve(catalogue.get(d)!, d, ref.field) }));
    const found = resolved.filter((r) => r.info !== undefined);
    if (found.length === 0) {
      const hint = known.map((d) => suggestion(catalogue.get(d)!, d, ref.field)).find(Boolean);
      problems.push({ file, path: ref.path, message: `field '${ref.field}' does not exist in ${known.join(', ')} events, so this never matches${hint ? ` (did you mean ${hint}?)` : ''}` });
      continue;
    }
    if (found.some((r) => r.info === 'open') || ref.modifiers.includes('exists')) continue;
    const infos = found.map((r) => r.info as FieldInfo);
    const numeric = infos.every((i) => [...i.types].every((t) => t === 'integer' || t === 'number'));
    const texts = ref.values.filter((v): v is string => typeof v === 'string');
    const comparesText = !ref.modifiers.some((m) => ['gt', 'gte', 'lt', 'lte', 'exists', 'cidr'].includes(m));
    if (numeric && comparesText) {
      const bad = texts.filter((t) => !NUMERIC_TEXT.test(t));
      if (bad.length > 0) problems.push({ file, path: ref.path, message: `field '${ref.field}' holds numbers; text ${bad.map((b) => `'${b}'`).join(', ')} never equals one` });
    }
    const domain = infos.length === 1 ? infos[0]!.domain : undefined;
    if (domain && ref.modifiers.every((m) => EXACT.has(m))) {
      const allowed = new Set(domain.map((d) => d.toLowerCase()));
      const bad = texts.filter((t) => !allowed.has(t.toLowerCase()));
      if (bad.length > 0) problems.push({ file, path: ref.path, message: `value ${bad.map((b) => `'${b}'`).join(', ')} never occurs in '${ref.field}' (it is one of: ${domain.join(', ')})` });
    }
  }
  return problems;
}

/** Field problems of every rule over the datasets its logsource maps to. */
export function ruleFieldProblems(rules: readonly SigmaRule[], catalogue: FieldCatalogue, logsources: readonly LogsourceMapping[] = DEFAULT_LOGSOURCES): SigmaProblem[] {
  return rules.flatMap((rule) => lintFields(rule.file, rule.detection as Record<string, unknown>, datasetsFor(rule.logsource, logsources) ?? [], catalogue));
}
