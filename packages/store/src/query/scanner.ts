/**
 * Character-level reading for the search-language parser (`parse.ts`): whitespace, quoted strings, words with
 * backslash escapes, keywords. The parser reads straight from the string rather than from a token list because what a
 * character means depends on where it is: `:` ends a field name at the start of a clause but is an ordinary character
 * in a value (`@timestamp>=2024-05-01T10:00:00Z`, `url:http://x`), and `]`/`}` end a word only inside a range.
 */
import { BulwarkError } from '@bulwark/schema';

/** A word as written, with escapes resolved, and which of its characters were escaped. */
export interface Word {
  /** Offset of the first character. */
  start: number;
  /** Offset just past the last character. */
  end: number;
  /** The text with backslash escapes resolved. */
  text: string;
  /** True when some character was written with a backslash escape. */
  escaped: boolean;
  /** Offsets (in `text`) of unescaped `*` characters. */
  stars: number[];
  /** Offsets (in the query) of each character of `text`, for error positions. */
  sourceOffsets: number[];
}

/** Characters that always end a word. */
const ALWAYS_STOP = new Set([' ', '\t', '\n', '\r', '\f', '\v', '(', ')', '"']);
/** At the start of a clause a word also ends at a field operator (`:`, `<`, `>`). */
const CLAUSE_STOP = new Set([':', '<', '>']);
/** Inside `[a TO b]` a word also ends at the closing bracket or brace. */
const RANGE_STOP = new Set([']', '}']);

/** Where a word is being read; it decides which characters end it. */
export type WordMode = 'clause' | 'value' | 'range';

export class Scanner {
  pos = 0;

  constructor(readonly query: string) {}

  /** A BWK_QUERY_SYNTAX error at `position`; the message always names the position. */
  fail(what: string, position = this.pos): BulwarkError {
    return new BulwarkError('BWK_QUERY_SYNTAX', `${what} at position ${position}`, { position, query: this.query });
  }

  atEnd(): boolean {
    return this.pos >= this.query.length;
  }

  peek(offset = 0): string {
    return this.query.charAt(this.pos + offset);
  }

  skipSpace(): void {
    while (this.pos < this.query.length && /\s/.test(this.query.charAt(this.pos))) this.pos++;
  }

  /** Consume `text` if the input continues with it. */
  eat(text: string): boolean {
    if (!this.query.startsWith(text, this.pos)) return false;
    this.pos += text.length;
    return true;
  }

  /**
   * If a boolean keyword (`AND`, `OR`, `NOT`, any case) starts here as a whole word, return it without consuming it.
   * `and:x` is a field name, not a keyword, so a keyword must not be followed by a word character or field operator.
   */
  peekKeyword(): 'AND' | 'OR' | 'NOT' | null {
    for (const kw of ['AND', 'OR', 'NOT'] as const) {
      const candidate = this.query.slice(this.pos, this.pos + kw.length);
      if (candidate.toUpperCase() !== kw) continue;
      const next = this.query.charAt(this.pos + kw.length);
      if (next === '' || ALWAYS_STOP.has(next)) return kw;
    }
    return null;
  }

  /** True when the next character may begin a word in `mode`. */
  wordStartsHere(mode: WordMode): boolean {
    const c = this.peek();
    return c !== '' && !isStop(c, mode);
  }

  /** Read a word (possibly empty) in `mode`, resolving backslash escapes. */
  readWord(mode: WordMode): Word {
    const start = this.pos;
    let text = '';
    let escaped = false;
    const stars: number[] = [];
    const sourceOffsets: number[] = [];
    while (this.pos < this.query.length) {
      const c = this.query.charAt(this.pos);
      if (c === '\\') {
        if (this.pos + 1 >= this.query.length) throw this.fail("expected a character after '\\'", this.pos + 1);
        const cp = this.query.codePointAt(this.pos + 1) ?? 0;
        const ch = String.fromCodePoint(cp);
        for (let unit = 0; unit < ch.length; unit++) sourceOffsets.push(this.pos); // one per UTF-16 unit of `text`
        text += ch;
        escaped = true;
        this.pos += 1 + ch.length;
        continue;
      }
      if (isStop(c, mode)) break;
      if (c === '*') stars.push(text.length);
      sourceOffsets.push(this.pos);
      text += c;
      this.pos++;
    }
    return { start, end: this.pos, text, escaped, stars, sourceOffsets };
  }

  /**
   * Read a double-quoted string starting at the current `"`. Inside, `\"` is a quote and `\\` a backslash; a
   * backslash before any other character keeps that character.
   */
  readQuoted(): { start: number; text: string } {
    const start = this.pos;
    this.pos++; // opening quote
    let text = '';
    while (this.pos < this.query.length) {
      const c = this.query.charAt(this.pos);
      if (c === '"') {
        this.pos++;
        return { start, text };
      }
      if (c === '\\' && this.pos + 1 < this.query.length) {
        text += this.query.charAt(this.pos + 1);
        this.pos += 2;
        continue;
      }
      text += c;
      this.pos++;
    }
    throw this.fail(`expected a closing '"' for the quote`, start);
  }
}

function isStop(c: string, mode: WordMode): boolean {
  if (ALWAYS_STOP.has(c) || /\s/.test(c)) return true;
  if (mode === 'clause') return CLAUSE_STOP.has(c);
  if (mode === 'range') return RANGE_STOP.has(c);
  return false;
}

/** A field name: letters, digits, `_ . @ - /`; a dot written `\.` belongs to a key (`labels.app\.kubernetes\.io/name`). */
export function validateFieldName(scanner: Scanner, word: Word): string {
  if (word.text === '') throw scanner.fail('expected a field name', word.start);
  let field = '';
  for (let i = 0; i < word.text.length; i++) {
    const c = word.text.charAt(i);
    const at = word.sourceOffsets[i] ?? word.start;
    const isEscape = scanner.query.charAt(at) === '\\';
    if (isEscape) {
      if (c !== '.') throw scanner.fail(`invalid escaped character '${c}' in field name`, at);
      field += '\\.';
      continue;
    }
    if (!/[A-Za-z0-9_.@\-/]/.test(c)) throw scanner.fail(`invalid character '${c}' in field name`, at);
    field += c;
  }
  for (const segment of splitFieldPath(field)) {
    if (segment === '') throw scanner.fail(`empty path segment in field name '${word.text}'`, word.start);
  }
  return field;
}

/** Split a field name on unescaped dots into JSON keys (`a.b\.c` -> `['a', 'b.c']`). */
export function splitFieldPath(field: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < field.length; i++) {
    const c = field.charAt(i);
    if (c === '\\' && field.charAt(i + 1) === '.') {
      current += '.';
      i++;
    } else if (c === '.') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}
