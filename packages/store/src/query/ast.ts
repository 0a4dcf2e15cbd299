/**
 * The AST of Bulwark's search language, a KQL/Lucene-like subset (documented in `packages/store/SEARCH.md`). Adapters
 * translate it to their engine (SQL for SQLite, query DSL for Elasticsearch/OpenSearch); user text never reaches an
 * engine's own query parser.
 *
 * Field names are dotted paths into the nested event (`kubernetes.pod.name`); a dot written `\.` is part of a key
 * (`kubernetes.labels.app\.kubernetes\.io/name`), see `splitFieldPath`. `and`/`or` have two or more children.
 */
export type QueryNode =
  | { type: 'all' }
  | { type: 'and'; children: QueryNode[] }
  | { type: 'or'; children: QueryNode[] }
  | { type: 'not'; child: QueryNode }
  /** Free text (no field): full-text match on `message`. `phrase` keeps word order. */
  | { type: 'text'; value: string; phrase: boolean; prefix: boolean }
  /** `field:value` exact; `field:val*` prefix; `field:"a phrase"` exact on keyword fields, phrase on `message`. */
  | { type: 'term'; field: string; value: string; phrase: boolean; prefix: boolean }
  /** `field:*`: the field is present. */
  | { type: 'exists'; field: string }
  /** `field>=x`, `field:[a TO b]`, `field:{a TO b}`; bounds are numbers or strings (dates as ISO 8601). */
  | { type: 'range'; field: string; gt?: string | number; gte?: string | number; lt?: string | number; lte?: string | number };
