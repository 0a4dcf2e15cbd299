/**
 * `{{ path }}` references in step parameters and conditions. A reference is a lookup in the run's context — inputs,
 * earlier steps' outputs, the alert, the incident, the run — never an expression: there is nothing to evaluate, so a
 * value from an attacker-controlled log line can only ever become a parameter value, which the action validates.
 * A string that is exactly one reference keeps the value's type (a number stays a number); references inside longer
 * text are rendered as text.
 */
import { BulwarkError } from '@bulwark/schema';

export interface TemplateContext {
  inputs: Record<string, unknown>;
  steps: Record<string, { status: string; outputs: Record<string, unknown> }>;
  alert: unknown;
  incident: unknown;
  run: { id: string; playbook: string };
}

const REF = /\{\{\s*([A-Za-z_][A-Za-z0-9_@/:-]*(?:\.[A-Za-z0-9_@/:-]+)*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_@/:-]*(?:\.[A-Za-z0-9_@/:-]+)*)\s*\}\}$/;
export const ROOTS = ['inputs', 'steps', 'alert', 'incident', 'run'] as const;

/** Every reference path in a value (strings inside objects and lists included). */
export function referencesIn(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    for (const m of value.matchAll(REF)) out.push(m[1]!);
    if (value.includes('{{') && out.length === 0) out.push(value); // malformed: reported by the loader
  } else if (Array.isArray(value)) {
    for (const item of value) referencesIn(item, out);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) referencesIn(item, out);
  }
  return out;
}

/** The value at a dotted path, or undefined. Own properties only: `__proto__` and friends resolve to nothing. */
export function lookup(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Resolves one reference. @throws BulwarkError naming the reference when it resolves to nothing. */
export function resolveRef(ctx: TemplateContext, path: string): unknown {
  const value = lookup(ctx, path);
  if (value === undefined) throw new BulwarkError('BWK_BAD_REQUEST', `{{ ${path} }} has no value in this run`, { field: path });
  return value;
}

const asText = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Fills every reference in `value` (deeply); other values are returned as they are. */
export function render(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return resolveRef(ctx, whole[1]!);
    return value.replace(REF, (_m, path: string) => asText(resolveRef(ctx, path)));
  }
  if (Array.isArray(value)) return value.map((item) => render(item, ctx));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v, ctx)]));
  }
  return value;
}

/** True when a string holds a reference (so its final value is only known when the run gets there). */
export const isTemplated = (value: unknown): boolean => referencesIn(value).length > 0;
