/**
 * `topValues` on Elasticsearch/OpenSearch: one search with, per field, a `filter` aggregation counting the events that
 * carry it and a `terms` aggregation of its values; exact answers only, so an answer the engine could have got wrong is
 * checked and, where it may be, recounted (docs/ARCHITECTURE.md, "Ports, adapters and contract suites": every adapter
 * answers alike).
 *
 * - What is counted per field kind (`mapping.ts`): keywords and keys of Elasticsearch's `flattened` maps by their
 *   keyword; `ip` fields by their `.keyword` sub-field (the text as sent, not the parsed address); numbers as
 *   numbers; `@timestamp` as its ISO text. `message` is analysed text without doc values: its events count as
 *   `present`, its values are not listed (a message is not a value to filter on, and the engine has none to count).
 *   A flat map itself, an object, a path inside an unindexed object (OpenSearch's audit request/response objects) or
 *   an unknown field holds no value the engine can count: present 0, no values.
 * - Keys of OpenSearch's `flat_object` maps (labels, annotations): its aggregations are wrong on 3.8 (a document
 *   without the key, or with other keys, adds buckets keyed `java.lang.Object@…`, and `composite` finds nothing), so
 *   those values are counted from the `_source` of the matching events that have the key (`exists` is right there):
 *   exact, at a cost linear in those events.
 * - `terms` counts documents per term, so an event counts once per distinct element of a list, as the port says.
 * - Exactness. Across several indices (one per dataset) a `terms` aggregation may miss a value's count on an index
 *   where it was not among that index's top terms; `doc_count_error_upper_bound` says so (0: exact). Numbers come
 *   back in numeric order where the port breaks ties by text (`42` before `7`), so when values tie across the cut the
 *   engine's choice may not be the port's. In either case that field is recounted: every distinct value, a partition
 *   of the terms at a time (`include.partition`; `composite` miscounts keys of `flattened` maps on Elasticsearch 8),
 *   each partition checked complete. Exact, at a cost linear in the field's distinct values.
 * - Booleans are mapped as keywords (`mapping.ts`), so `true` comes back as the text `true`; one matching event is
 *   read to tell a boolean from the string. If both occur, they are one value here (two in the embedded store).
 */
import type { FieldTopValues, TopValue } from '../port.js';
import { compareTopValues, type CheckedTopValues } from '../explore-request.js';
import { FieldCounter, valuesAt } from '../top-values.js';
import { enginePath, type FieldResolver, type FieldType, type FieldTypes } from './fields.js';
import type { FieldKind } from './mapping.js';
import type { Pager, SearchHit } from './paging.js';
import type { Dsl } from './translate.js';

/** Terms each index reports at least: enough that fields of modest cardinality never need the recount. */
const MIN_SHARD_SIZE = 200;
/** Distinct values aimed at per partition of the recount, and most read per request. */
const PARTITION_TERMS = 5000;
/** Events read per page when counting from `_source`. */
const SOURCE_PAGE = 5000;

type ValueKind = 'string' | 'number' | 'date' | 'boolean';

/** What is counted for one type of a field: the engine path, the kind of its keys, and the indices it applies to. */
interface Target {
  path: string;
  kind: ValueKind | 'source';
  indices?: string[];
}

interface Bucket {
  key: string | number | boolean;
  key_as_string?: string;
  doc_count: number;
}

interface TermsResult {
  doc_count_error_upper_bound?: number;
  sum_other_doc_count?: number;
  buckets: Bucket[];
}

interface AggsResponse {
  hits: { total?: { value: number } | number; hits: SearchHit[] };
  aggregations?: Record<string, TermsResult & { doc_count?: number; value?: number; t?: TermsResult }>;
}

function valueKind(kind: FieldKind, flatObject: boolean): { kind: Target['kind']; suffix: string } | null {
  switch (kind) {
    case 'keyword':
      return { kind: 'string', suffix: '' };
    case 'flat-leaf':
      return { kind: flatObject ? 'source' : 'string', suffix: '' };
    case 'ip':
      return { kind: 'string', suffix: '.keyword' };
    case 'number':
      return { kind: 'number', suffix: '' };
    case 'date':
      return { kind: 'date', suffix: '' };
    case 'boolean':
      return { kind: 'boolean', suffix: '' };
    default:
      return null; // text (no doc values), maps, objects, unindexed and unmapped paths
  }
}

/** A clause limited to the indices that have a type, when the field's type differs between indices. */
function withinIndices(indices: string[] | undefined, dsl: Dsl): Dsl {
  return indices ? { bool: { filter: [{ terms: { _index: indices } }, dsl] } } : dsl;
}

function valueOf(bucket: Bucket, kind: ValueKind): string | number | boolean {
  const key = bucket.key;
  if (kind === 'number') return Number(key);
  if (kind === 'date') return new Date(Number(key)).toISOString();
  if (kind === 'boolean') return key === true || key === 1 || key === 'true' || bucket.key_as_string === 'true';
  return String(key);
}

/** Whether the engine's top buckets are the port's top `size` (see the file comment); `buckets` holds `size + 1`. */
function exact(result: TermsResult, kind: ValueKind, size: number): boolean {
  if ((result.doc_count_error_upper_bound ?? 0) > 0) return false;
  const { buckets } = result;
  return kind !== 'number' || buckets.length <= size || buckets[size]!.doc_count < buckets[size - 1]!.doc_count;
}

/** The port's top `size` of values counted so far, kept small while more arrive. */
class TopKeeper {
  private kept: TopValue[] = [];
  constructor(private readonly size: number) {}
  add(value: TopValue): void {
    this.kept.push(value);
    if (this.kept.length > 10 * this.size + 100) this.kept = this.top();
  }
  top(): TopValue[] {
    return this.kept.sort(compareTopValues).slice(0, this.size);
  }
}

export class TopValuesReader {
  constructor(
    private readonly pager: Pager,
    private readonly fields: FieldResolver,
    private readonly flatObject: boolean,
  ) {}

  /** The counts of every requested field over the events `filter` matches. */
  async read(filter: Dsl, checked: CheckedTopValues, types: FieldTypes): Promise<{ total: number; fields: FieldTopValues[] }> {
    const { fields, size } = checked;
    const aggs: Dsl = {};
    const targets = fields.map((field) => this.targetsOf(enginePath(field), types.get(field) ?? []));
    fields.forEach((field, i) => {
      aggs[`p${i}`] = { filter: this.presentClause(enginePath(field), types.get(field) ?? []) };
      targets[i]!.forEach((target, j) => {
        if (target.kind === 'source') return;
        const order = [{ _count: 'desc' }, { _key: 'asc' }];
        const terms = { terms: { field: target.path, size: size + 1, shard_size: Math.max(MIN_SHARD_SIZE, 3 * (size + 1)), order } };
        aggs[`v${i}_${j}`] = target.indices ? { filter: { terms: { _index: target.indices } }, aggs: { t: terms } } : terms;
      });
    });
    const res = await this.pager.search<AggsResponse>({ size: 0, track_total_hits: true, query: filter, aggs });
    const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
    const out: FieldTopValues[] = [];
    for (const [i, field] of fields.entries()) {
      const merged = new Map<string, TopValue>();
      for (const [j, target] of targets[i]!.entries()) {
        let values: TopValue[];
        if (target.kind === 'source') values = await this.fromSources(filter, field, target, size);
        else {
          const agg = res.aggregations?.[`v${i}_${j}`];
          const result = (target.indices ? agg?.t : agg) ?? { buckets: [] };
          const kind = target.kind;
          values = exact(result, kind, size) ? result.buckets.map((b) => ({ value: valueOf(b, kind), count: b.doc_count })) : await this.recount(filter, target, size);
        }
        for (const v of values) {
          const key = `${typeof v.value}:${String(v.value)}`;
          const hit = merged.get(key);
          if (hit) hit.count += v.count;
          else merged.set(key, { ...v });
        }
      }
      const values = [...merged.values()].sort(compareTopValues).slice(0, size);
      out.push({ field, present: res.aggregations?.[`p${i}`]?.doc_count ?? 0, values: await this.booleans(filter, field, values) });
    }
    return { total, fields: out };
  }

  private targetsOf(path: string, types: FieldType[]): Target[] {
    return types.flatMap((type) => {
      const target = valueKind(type.kind, this.flatObject);
      return target ? [{ path: path + target.suffix, kind: target.kind, ...(type.indices ? { indices: type.indices } : {}) }] : [];
    });
  }

  /** Events carrying the field with a value: `exists` on what is counted (`message` too, though its values are not). */
  private presentClause(path: string, types: FieldType[]): Dsl {
    const clauses: Dsl[] = [];
    for (const type of types) {
      const target = valueKind(type.kind, this.flatObject);
      if (target || type.kind === 'text') clauses.push(withinIndices(type.indices, { exists: { field: path + (target?.suffix ?? '') } }));
    }
    if (clauses.length === 0) return { match_none: {} };
    return clauses.length === 1 ? clauses[0]! : { bool: { should: clauses, minimum_should_match: 1 } };
  }

  /** Every distinct value of one target, a partition of the terms at a time; more partitions if one was not complete. */
  private async recount(filter: Dsl, target: Target, size: number): Promise<TopValue[]> {
    const kind = target.kind as ValueKind;
    const query = target.indices ? { bool: { filter: [filter, { terms: { _index: target.indices } }] } } : filter;
    const estimate = await this.pager.search<AggsResponse>({ size: 0, track_total_hits: false, query, aggs: { c: { cardinality: { field: target.path } } } });
    let partitions = Math.max(1, Math.ceil(((estimate.aggregations?.c?.value ?? 0) * 1.25) / PARTITION_TERMS));
    for (;;) {
      const keeper = new TopKeeper(size);
      let complete = true;
      for (let partition = 0; partition < partitions && complete; partition++) {
        const include = partitions > 1 ? { include: { partition, num_partitions: partitions } } : {};
        const terms = { field: target.path, size: 2 * PARTITION_TERMS, ...include };
        const res = await this.pager.search<AggsResponse>({ size: 0, track_total_hits: false, query, aggs: { t: { terms } } });
        const result = res.aggregations?.t ?? { buckets: [] };
        complete = (result.doc_count_error_upper_bound ?? 0) === 0 && (result.sum_other_doc_count ?? 0) === 0;
        for (const b of result.buckets) keeper.add({ value: valueOf(b, kind), count: b.doc_count });
      }
      if (complete) return keeper.top();
      partitions *= 4;
    }
  }

  /** A key of an OpenSearch `flat_object`, counted from the `_source` of the matching events that have it. */
  private async fromSources(filter: Dsl, field: string, target: Target, size: number): Promise<TopValue[]> {
    const query = { bool: { filter: [filter, withinIndices(target.indices, { exists: { field: target.path } })] } };
    const counter = new FieldCounter();
    const sort = this.pager.sortFor('asc');
    const source = this.fields.flatRoot(field) ?? target.path;
    let after: unknown[] | undefined;
    for (;;) {
      const body = { size: SOURCE_PAGE, query, sort, _source: { includes: [source] }, track_total_hits: false, ...(after ? { search_after: after } : {}) };
      const hits = (await this.pager.search<AggsResponse>(body)).hits.hits;
      for (const hit of hits) counter.add(valuesAt(hit._source, field));
      if (hits.length < SOURCE_PAGE) break;
      after = hits[hits.length - 1]!.sort;
    }
    return counter.result(field, size).values;
  }

  /** `true`/`false` read from a keyword: a boolean when a matching event holds the boolean there. */
  private async booleans(filter: Dsl, field: string, values: TopValue[]): Promise<TopValue[]> {
    const out: TopValue[] = [];
    for (const v of values) {
      if (v.value !== 'true' && v.value !== 'false') {
        out.push(v);
        continue;
      }
      const res = await this.pager.search<AggsResponse>({
        size: 1,
        track_total_hits: false,
        query: { bool: { filter: [filter, { term: { [enginePath(field)]: v.value } }] } },
      });
      const held = valuesAt(res.hits.hits[0]?._source, field);
      out.push(held.includes(v.value === 'true') && !held.includes(v.value) ? { value: v.value === 'true', count: v.count } : v);
    }
    return out;
  }
}
