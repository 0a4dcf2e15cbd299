/**
 * A query of the language and a time range as the one filter every read of the search-engine store sends
 * (`log-store.ts`: search, histogram, topValues, around), and what a read says when the engine cannot run free text.
 *
 * Free text searches every field (`translate.ts`, `anyField`): one clause per field of an index, for each free-text
 * term of the query. OpenSearch refuses a query of more clauses than `indices.query.bool.max_clause_count` (1024 by
 * default; Elasticsearch 8 sizes its limit from the heap). Our template maps about 100 fields before shippers add
 * theirs and allows 2000 per index (`layout.ts`), so on OpenSearch a query of about ten free-text words, or one word
 * over an index of more than 1024 fields, is refused. No other shape of the query has fewer clauses (listing the
 * fields in groups was tried: the limit counts the clauses of the whole query), so the caller is told why, with the
 * ways out: fewer words, `message:(…)` for words of the message, a field, or a higher setting (dynamic on OpenSearch
 * 2.16 and later). It is a 400, not a 503: retrying the same query cannot succeed.
 */
import { BulwarkError } from '@bulwark/schema';
import type { QueryNode } from '../query/ast.js';
import { validDate } from '../histogram.js';
import { fieldsOf, type FieldResolver } from './fields.js';
import { and, hasAnyFieldText, queryToDsl, type Dsl } from './translate.js';

/** The engines' words for a query over more fields, or of more clauses, than they allow. */
const TOO_MANY = /field expansion matches too many fields|too many (nested )?clauses/i;

export class QueryFilter {
  constructor(private readonly fields: FieldResolver) {}

  /** The query and the time range (`from` inclusive, `to` exclusive) as one filter, in filter context: no scoring. */
  async build(node: QueryNode, from?: Date, to?: Date): Promise<Dsl> {
    const query = queryToDsl(node, await this.fields.resolve(fieldsOf(node)));
    const range: Record<string, unknown> = {};
    if (from !== undefined && from !== null) range.gte = validDate(from, 'from');
    if (to !== undefined && to !== null) range.lt = validDate(to, 'to');
    const time = Object.keys(range).length > 0 ? { range: { '@timestamp': { ...range, format: 'epoch_millis' } } } : null;
    return { bool: { filter: [and(time ? [query, time] : [query])] } };
  }

  /** Runs a read of `node`; a refusal of free text over too many fields becomes BWK_BAD_PARAM saying what to do. */
  async run<T>(node: QueryNode, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof BulwarkError) || !hasAnyFieldText(node)) throw err;
      const reason = `${err.message} ${String(err.details?.reason ?? '')}`;
      if (!TOO_MANY.test(reason)) throw err;
      throw new BulwarkError(
        'BWK_BAD_PARAM',
        'free text searches every field: its words times the fields of a log index exceed what the search engine allows ' +
          'in one query (indices.query.bool.max_clause_count); use fewer words, message:(…) for words of the message, ' +
          'field:value, or raise that setting',
        { param: 'q', reason: err.message },
      );
    }
  }
}
