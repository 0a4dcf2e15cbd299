/**
 * The `condition` grammar (rules spec v2, "Condition"): `and`, `or`, `not`, parentheses, `1 of <pattern>`,
 * `all of <pattern>`, `1 of them`, `all of them`. Precedence, least to most binding: or, and, not, `x of`,
 * parentheses. `them` covers every search identifier not starting with `_`. A condition given as a list is the
 * OR of its items. The spec has no `any of`, so it is an error (write `1 of`).
 */
import type { ProblemSink } from './problems.js';

export type ConditionNode =
  | { kind: 'id'; name: string; pos: number }
  | { kind: 'and' | 'or'; items: ConditionNode[] }
  | { kind: 'not'; item: ConditionNode }
  | { kind: 'of'; quantifier: 'one' | 'all'; pattern: string | null; pos: number };

interface Token {
  text: string;
  pos: number;
}

/** Thrown inside the parser; turned into one problem naming the column. */
class ConditionSyntaxError extends Error {
  constructor(message: string, readonly pos: number) {
    super(message);
  }
}

const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all']);

/** Parses one condition string; on a syntax error records a problem (with the column) and returns undefined. */
export function parseCondition(text: string, sink: ProblemSink, path: string): ConditionNode | undefined {
  const pipe = text.indexOf('|');
  if (pipe >= 0) {
    // Sigma v1 aggregations (`selection | count() by x > 5`) were replaced by correlation rules in v2.
    sink.add(path, `aggregation after '|' at column ${pipe + 1} is Sigma v1 syntax; write a correlation rule`);
    return undefined;
  }
  try {
    const parser = new Parser(tokenize(text), text.length);
    const node = parser.parseOr();
    parser.expectEnd();
    return node;
  } catch (error) {
    if (!(error instanceof ConditionSyntaxError)) throw error;
    sink.add(path, `${error.message} at column ${error.pos + 1} of '${text}'`);
    return undefined;
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(/\(|\)|[^\s()]+/g)) tokens.push({ text: m[0], pos: m.index });
  return tokens;
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[], private readonly end: number) {}

  parseOr(): ConditionNode {
    const items = [this.parseAnd()];
    while (this.acceptWord('or')) items.push(this.parseAnd());
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private parseAnd(): ConditionNode {
    const items = [this.parseNot()];
    while (this.acceptWord('and')) items.push(this.parseNot());
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private parseNot(): ConditionNode {
    if (this.acceptWord('not')) return { kind: 'not', item: this.parseNot() };
    return this.parsePrimary();
  }

  private parsePrimary(): ConditionNode {
    const token = this.next('an identifier, "(", "not", "1 of" or "all of"');
    if (token.text === '(') {
      const inner = this.parseOr();
      const close = this.next('")"');
      if (close.text !== ')') throw new ConditionSyntaxError(`expected ")" but found '${close.text}'`, close.pos);
      return inner;
    }
    const word = token.text.toLowerCase();
    const ofFollows = this.peek()?.text.toLowerCase() === 'of';
    if (ofFollows) return this.parseOf(token, word);
    if (token.text === ')' || KEYWORDS.has(word)) {
      throw new ConditionSyntaxError(`unexpected '${token.text}'`, token.pos);
    }
    return { kind: 'id', name: token.text, pos: token.pos };
  }

  /** `1 of x`, `all of x` ("1/all of them", "1/all of search-identifier-pattern"). */
  private parseOf(quantifierToken: Token, word: string): ConditionNode {
    if (word !== '1' && word !== 'all') {
      const hint = word === 'any' ? " (Sigma writes '1 of')" : " (Sigma has only '1 of' and 'all of')";
      throw new ConditionSyntaxError(`unsupported quantifier '${quantifierToken.text}'${hint}`, quantifierToken.pos);
    }
    this.at++; // 'of'
    const target = this.next('"them" or a search-identifier pattern');
    if (target.text === '(' || target.text === ')' || (KEYWORDS.has(target.text.toLowerCase()) && target.text.toLowerCase() !== 'them')) {
      throw new ConditionSyntaxError(`expected "them" or a pattern but found '${target.text}'`, target.pos);
    }
    const pattern = target.text.toLowerCase() === 'them' ? null : target.text;
    return { kind: 'of', quantifier: word === '1' ? 'one' : 'all', pattern, pos: target.pos };
  }

  expectEnd(): void {
    const token = this.peek();
    if (token) throw new ConditionSyntaxError(`unexpected '${token.text}'`, token.pos);
  }

  private acceptWord(word: string): boolean {
    if (this.peek()?.text.toLowerCase() !== word) return false;
    this.at++;
    return true;
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private next(expected: string): Token {
    const token = this.tokens[this.at++];
    if (!token) throw new ConditionSyntaxError(`expected ${expected} but the condition ended`, this.end);
    return token;
  }
}

/** The search identifiers an `x of` pattern names; `*` matches any run of characters. */
export function identifiersFor(pattern: string | null, names: string[]): string[] {
  if (pattern === null) return names.filter((n) => !n.startsWith('_'));
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  const regex = new RegExp(`^${escaped.join('.*')}$`);
  return names.filter((n) => regex.test(n));
}

/**
 * Search identifiers every match of the condition must satisfy (a conjunctive core), so the rule index can use
 * one of their exact values as a prefilter. Under `or` and `not` nothing is required.
 */
export function requiredIdentifiers(node: ConditionNode, names: string[]): string[] {
  switch (node.kind) {
    case 'id':
      return [node.name];
    case 'and':
      return node.items.flatMap((item) => requiredIdentifiers(item, names));
    case 'of': {
      const matched = identifiersFor(node.pattern, names);
      return node.quantifier === 'all' || matched.length === 1 ? matched : [];
    }
    default:
      return [];
  }
}
