/**
 * What kind of field a query names, so the translator can emit the clause that has the language's meaning on that
 * type (and never one the engine refuses: a `prefix` on a number field, a `term` of `abc` on a long, a numeric range
 * on a keyword). Fields our template maps are known without asking; fields that shippers add beyond the event model
 * (dynamic mappings) are looked up with `_field_caps` and remembered for a minute. A field can have different types
 * in different backing indices (a type that changed over a rollover); then each type is reported with its indices.
 */
import type { QueryNode } from '../query/ast.js';
import { splitFieldPath } from '../query/scanner.js';
import type { EngineClient } from './client.js';
import { kindOfType, type FieldKind, type StaticFields } from './mapping.js';

/** One type of a field; `indices` is set only when the field has several types across indices. */
export interface FieldType {
  kind: FieldKind;
  indices?: string[];
}

/** Field name (as written in the query, with `\.` escapes) → its types; an empty list means unmapped. */
export type FieldTypes = ReadonlyMap<string, FieldType[]>;

const MAPPED_TTL_MS = 60_000;

/** The engine path for a field name: escaped dots become plain dots, as the engine addresses object keys. */
export function enginePath(field: string): string {
  return splitFieldPath(field).join('.');
}

/** Every field name a query mentions (free text names none: it is `message` or every field, see `translate.ts`). */
export function fieldsOf(node: QueryNode, out = new Set<string>()): Set<string> {
  switch (node.type) {
    case 'and':
    case 'or':
      for (const child of node.children) fieldsOf(child, out);
      break;
    case 'not':
      fieldsOf(node.child, out);
      break;
    case 'term':
    case 'exists':
    case 'range':
      out.add(node.field);
      break;
    default:
      break;
  }
  return out;
}

export class FieldResolver {
  private readonly cache = new Map<string, { types: FieldType[]; until: number }>();

  constructor(
    private readonly client: EngineClient,
    private readonly pattern: string,
    private readonly statics: StaticFields,
  ) {}

  /** The kind a field has by our template alone, or null when only the engine knows (a dynamic field). */
  staticKind(field: string): FieldKind | null {
    const path = enginePath(field);
    const known = this.statics.kinds.get(path);
    if (known) return known;
    for (const [root, kind] of this.statics.roots) {
      if (path.startsWith(`${root}.`)) return kind === 'flat' ? 'flat-leaf' : 'disabled';
    }
    return null;
  }

  /** The flat field (`flattened` / `flat_object`) a key of which `field` names, or null. */
  flatRoot(field: string): string | null {
    const path = enginePath(field);
    for (const [root, kind] of this.statics.roots) if (kind === 'flat' && path.startsWith(`${root}.`)) return root;
    return null;
  }

  /** Types of every field; one `_field_caps` request for the dynamic ones not cached. */
  async resolve(fields: Iterable<string>): Promise<FieldTypes> {
    const result = new Map<string, FieldType[]>();
    const ask = new Map<string, string>(); // engine path → field name
    const now = Date.now();
    for (const field of fields) {
      const known = this.staticKind(field);
      if (known) {
        result.set(field, [{ kind: known }]);
        continue;
      }
      const path = enginePath(field);
      const cached = this.cache.get(path);
      if (cached && cached.until > now) result.set(field, cached.types);
      else ask.set(path, field);
    }
    if (ask.size > 0) {
      const caps = await this.fieldCaps([...ask.keys()]);
      for (const [path, field] of ask) {
        const types = caps.get(path) ?? [];
        // An unmapped field is asked again next time: it becomes mapped the moment a shipper first sends it.
        if (types.length > 0) {
          if (this.cache.size >= 5000) this.cache.clear();
          this.cache.set(path, { types, until: now + MAPPED_TTL_MS });
        }
        result.set(field, types);
      }
    }
    return result;
  }

  private async fieldCaps(paths: string[]): Promise<Map<string, FieldType[]>> {
    const res = await this.client.request<{ fields?: Record<string, Record<string, { type: string; indices?: string[] }>> }>({
      method: 'GET',
      path: `/${this.pattern}/_field_caps`,
      // Field names cannot contain ',' (the language's field syntax excludes it), so the list is unambiguous.
      querystring: { fields: paths.join(','), ignore_unavailable: true, allow_no_indices: true },
    });
    const out = new Map<string, FieldType[]>();
    for (const [path, byType] of Object.entries(res.body.fields ?? {})) {
      const types: FieldType[] = [];
      for (const [type, caps] of Object.entries(byType)) {
        if (type === 'unmapped') continue;
        types.push({ kind: kindOfType(caps.type ?? type), ...(caps.indices ? { indices: caps.indices } : {}) });
      }
      out.set(path, types);
    }
    return out;
  }
}
