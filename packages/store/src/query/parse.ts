/**
 * The search-language parser: query text to a {@link QueryNode}. The language is a KQL/Lucene-like subset documented
 * in `packages/store/SEARCH.md`. It is a hand-written recursive descent parser because the grammar is small and we
 * want exact 0-based error positions (`BWK_QUERY_SYNTAX`, `details.position`) that the API can show under the query
 * box; generated parsers we looked at (liqe) use a different comparison syntax (`field:>5`) and report line/column.
 *
 * Grammar (precedence NOT > AND > OR; adjacent clauses are joined by AND):
 * ```
 * query   := or? EOF
 * or      := and (("OR" | "||") and)*
 * and     := not (("AND" | "&&")? not)*
 * not     := ("NOT" | "!" | "-") not | primary
 * primary := "(" or ")" | clause
 * clause  := FIELD (":" value | (">" | ">=" | "<" | "<=") bound) | WORD | QUOTED
 * value   := "(" or-of-values ")" | "[" bound "TO" bound ("]" | "}") | "{" ... | QUOTED | WORD | "*" | (">"...) bound
 * ```
 */
import type { QueryNode } from './ast.js';
import { Scanner, validateFieldName, type Word, type WordMode } from './scanner.js';
import { parseTimestamp } from './time.js';

/** Deeper nesting than this is refused rather than risking the stack. */
export const MAX_QUERY_DEPTH = 64;

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

type Bound = string | number | undefined;
type RangeNode = Extract<QueryNode, { type: 'range' }>;

/**
 * Parse a search query. Empty or whitespace-only text matches everything (`{type:'all'}`).
 * @throws BulwarkError `BWK_QUERY_SYNTAX` with `details.position` (0-based offset) and `details.query`.
 */
export function parseQuery(q: string): QueryNode {
  const parser = new Parser(new Scanner(q));
  return parser.parseQuery();
}

class Parser {
  private depth = 0;

  constructor(private readonly s: Scanner) {}

  parseQuery(): QueryNode {
    this.s.skipSpace();
    if (this.s.atEnd()) return { type: 'all' };
    const node = this.parseOr(null);
    this.s.skipSpace();
    if (!this.s.atEnd()) throw this.s.fail(`unexpected '${this.s.peek()}'`);
    return node;
  }

  /** `field` is set inside `field:( … )`, where each bare value applies to that field. */
  private parseOr(field: string | null): QueryNode {
    const children = [this.parseAnd(field)];
    for (;;) {
      this.s.skipSpace();
      if (this.s.peekKeyword() === 'OR') this.s.pos += 2;
      else if (!this.s.eat('||')) break;
      children.push(this.parseAnd(field));
    }
    return combine('or', children);
  }

  private parseAnd(field: string | null): QueryNode {
    const children = [this.parseNot(field)];
    for (;;) {
      this.s.skipSpace();
      if (this.s.atEnd() || this.s.peek() === ')') break;
      const keyword = this.s.peekKeyword();
      if (keyword === 'OR' || this.s.query.startsWith('||', this.s.pos)) break;
      if (keyword === 'AND') this.s.pos += 3;
      else this.s.eat('&&'); // otherwise an implicit AND between adjacent clauses
      children.push(this.parseNot(field));
    }
    return combine('and', children);
  }

  private parseNot(field: string | null): QueryNode {
    this.s.skipSpace();
    const keyword = this.s.peekKeyword();
    if (keyword === 'NOT' || this.s.peek() === '!' || this.s.peek() === '-') {
      this.s.pos += keyword === 'NOT' ? 3 : 1;
      this.enter();
      const child = this.parseNot(field);
      this.depth--;
      return { type: 'not', child };
    }
    return this.parsePrimary(field);
  }

  private parsePrimary(field: string | null): QueryNode {
    const s = this.s;
    s.skipSpace();
    if (s.atEnd()) throw s.fail(`expected a term, phrase or '('`);
    const keyword = s.peekKeyword();
    if (keyword) throw s.fail(`expected a term, phrase or '(' but found '${keyword}'`);
    if (s.query.startsWith('&&', s.pos) || s.query.startsWith('||', s.pos)) {
      throw s.fail(`expected a term, phrase or '(' but found '${s.query.slice(s.pos, s.pos + 2)}'`);
    }
    const c = s.peek();
    if (c === '(') return this.parseGroup(field);
    if (c === ')') throw s.fail(`expected a term, phrase or '(' but found ')'`);
    if (c === '"') {
      const { text } = s.readQuoted();
      return field === null
        ? { type: 'text', value: text, phrase: true, prefix: false }
        : { type: 'term', field, value: text, phrase: true, prefix: false };
    }
    if (field !== null) return this.valueNode(field, this.readNonEmptyWord('value', 'expected a value'));
    const word = s.readWord('clause');
    if (word.text === '') throw s.fail(`unexpected '${s.peek()}'`);
    const next = s.peek();
    if (next === ':' || next === '<' || next === '>') return this.parseFieldClause(validateFieldName(s, word));
    return this.textNode(word);
  }

  /** `( … )`, with `field` carried inside for `field:( … )`. */
  private parseGroup(field: string | null): QueryNode {
    this.s.pos++; // '('
    this.enter();
    const inner = this.parseOr(field);
    this.depth--;
    this.s.skipSpace();
    if (!this.s.eat(')')) throw this.s.fail(`expected ')'`);
    return inner;
  }

  /** After a field name: `:value`, `:( … )`, `:[a TO b]`, `:"…"`, `:*`, or a comparison. */
  private parseFieldClause(field: string): QueryNode {
    const s = this.s;
    if (s.peek() !== ':') return this.parseComparison(field);
    s.pos++;
    s.skipSpace();
    const c = s.peek();
    if (c === '<' || c === '>') return this.parseComparison(field); // KQL's `field:>5`
    if (c === '(') return this.parseGroup(field);
    if (c === '[' || c === '{') return this.parseRange(field);
    if (c === '"') {
      const { text } = s.readQuoted();
      return { type: 'term', field, value: text, phrase: true, prefix: false };
    }
    return this.valueNode(field, this.readNonEmptyWord('value', `expected a value after '${field}:'`));
  }

  private parseComparison(field: string): QueryNode {
    const s = this.s;
    const op = s.eat('>=') ? 'gte' : s.eat('>') ? 'gt' : s.eat('<=') ? 'lte' : s.eat('<') ? 'lt' : null;
    if (op === null) throw s.fail(`expected ':', '<' or '>' after '${field}'`);
    s.skipSpace();
    const start = s.pos;
    const bound = this.readBound(field, 'value');
    if (bound === undefined) throw s.fail(`expected a number, date or string, not '*'`, start);
    const node: RangeNode = { type: 'range', field };
    node[op] = bound;
    return node;
  }

  /** `[a TO b]` inclusive, `{a TO b}` exclusive, mixed `[a TO b}` allowed; `*` is an open bound. */
  private parseRange(field: string): QueryNode {
    const s = this.s;
    const lowerInclusive = s.peek() === '[';
    s.pos++;
    s.skipSpace();
    const lower = this.readBound(field, 'range');
    s.skipSpace();
    const to = s.query.slice(s.pos, s.pos + 2);
    const afterTo = s.query.charAt(s.pos + 2);
    if (to.toUpperCase() !== 'TO' || !(afterTo === '' || afterTo === '"' || /\s/.test(afterTo))) {
      throw s.fail(`expected 'TO'`);
    }
    s.pos += 2;
    s.skipSpace();
    const upper = this.readBound(field, 'range');
    s.skipSpace();
    const close = s.peek();
    if (close !== ']' && close !== '}') throw s.fail(`expected ']' or '}'`);
    s.pos++;
    if (lower === undefined && upper === undefined) return { type: 'exists', field };
    const node: RangeNode = { type: 'range', field };
    if (lower !== undefined) node[lowerInclusive ? 'gte' : 'gt'] = lower;
    if (upper !== undefined) node[close === ']' ? 'lte' : 'lt'] = upper;
    return node;
  }

  /** A range bound: quoted text, `*` (open, `undefined`), a number, or other text; dates checked on `@timestamp`. */
  private readBound(field: string, mode: WordMode): Bound {
    const s = this.s;
    const start = s.pos;
    let bound: Bound;
    if (s.peek() === '"') {
      bound = s.readQuoted().text;
    } else {
      const word = this.readNonEmptyWord(mode, 'expected a range bound');
      if (word.text === '*' && word.stars.length === 1) return undefined;
      bound = !word.escaped && NUMBER_RE.test(word.text) && Number.isFinite(Number(word.text)) ? Number(word.text) : word.text;
    }
    if (field === '@timestamp' && parseTimestamp(bound) === null) {
      throw s.fail(`expected an ISO 8601 date or epoch milliseconds for @timestamp, got '${bound}'`, start);
    }
    return bound;
  }

  private readNonEmptyWord(mode: WordMode, expected: string): Word {
    const word = this.s.readWord(mode);
    if (word.text === '') throw this.s.fail(expected);
    return word;
  }

  /** A bare word: free text on `message`; a trailing `*` makes it a prefix, a lone `*` matches everything. */
  private textNode(word: Word): QueryNode {
    const { value, prefix } = this.wildcard(word);
    if (prefix && value === '') return { type: 'all' };
    return { type: 'text', value, phrase: false, prefix };
  }

  /** A value after `field:`: exact, prefix (`val*`) or exists (`*`). */
  private valueNode(field: string, word: Word): QueryNode {
    const { value, prefix } = this.wildcard(word);
    if (prefix && value === '') return { type: 'exists', field };
    return { type: 'term', field, value, phrase: false, prefix };
  }

  /** Only a trailing unescaped `*` is a wildcard; `\*` is a literal star. */
  private wildcard(word: Word): { value: string; prefix: boolean } {
    const last = word.text.length - 1;
    for (const at of word.stars) {
      if (at !== last) {
        throw this.s.fail(`a wildcard '*' may only end a term`, word.sourceOffsets[at] ?? word.start);
      }
    }
    const prefix = word.stars.length > 0;
    return { value: prefix ? word.text.slice(0, -1) : word.text, prefix };
  }

  private enter(): void {
    if (++this.depth > MAX_QUERY_DEPTH) throw this.s.fail(`the query nests deeper than ${MAX_QUERY_DEPTH} levels`);
  }
}

/**
 * Build an n-ary AND/OR, flattening nested nodes of the same kind (`a AND (b AND c)` is `and(a,b,c)`) and folding
 * `*`: it is neutral in AND and absorbs an OR.
 */
function combine(type: 'and' | 'or', children: QueryNode[]): QueryNode {
  const flat: QueryNode[] = [];
  for (const child of children) {
    if (child.type === 'all') {
      if (type === 'or') return { type: 'all' };
      continue;
    }
    if (child.type === type) flat.push(...child.children);
    else flat.push(child);
  }
  if (flat.length === 0) return { type: 'all' };
  if (flat.length === 1) return flat[0]!;
  return { type, children: flat };
}
