/**
 * Parser for a Prometheus/Loki label set in text form, `{namespace="prod", pod="web-1"}`, as Loki's protobuf push
 * carries it in `StreamAdapter.labels`. Grammar (Prometheus text exposition format,
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details, and LogQL stream selectors):
 * `{` [ name `=` "value" { `,` name `=` "value" } [`,`] ] `}`, names `[a-zA-Z_][a-zA-Z0-9_]*`, values double-quoted
 * with the escapes `\\`, `\"`, `\n` (plus `\t`, `\r` that Go's strconv.Unquote, used by Loki, also accepts).
 */

/** A label set that does not parse; `position` is the 0-based character offset of the problem. */
export class LabelSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = 'LabelSyntaxError';
  }
}

const NAME_RE = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', n: '\n', t: '\t', r: '\r' };

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  expect(ch: string): void {
    this.skipSpace();
    if (this.text[this.pos] !== ch) throw new LabelSyntaxError(`expected '${ch}'`, this.pos);
    this.pos++;
  }

  name(): string {
    this.skipSpace();
    NAME_RE.lastIndex = this.pos;
    const m = NAME_RE.exec(this.text);
    if (!m) throw new LabelSyntaxError('expected a label name', this.pos);
    this.pos += m[0].length;
    return m[0];
  }

  quoted(): string {
    this.expect('"');
    let out = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) throw new LabelSyntaxError('unterminated label value', this.pos);
      this.pos++;
      if (ch === '"') return out;
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const esc = this.text[this.pos];
      const decoded = esc === undefined ? undefined : ESCAPES[esc];
      if (decoded === undefined) throw new LabelSyntaxError(`unknown escape "\\${esc ?? ''}"`, this.pos - 1);
      out += decoded;
      this.pos++;
    }
  }

  peek(): string | undefined {
    this.skipSpace();
    return this.text[this.pos];
  }
}

/**
 * Parses `{a="1", b="2"}` to `[['a','1'], ['b','2']]`, in order; throws LabelSyntaxError. Pairs rather than an
 * object so the caller decides how to treat reserved or duplicate names.
 */
export function parseLabelSet(text: string): Array<[string, string]> {
  const s = new Scanner(text);
  const pairs: Array<[string, string]> = [];
  s.expect('{');
  if (s.peek() === '}') {
    s.pos++;
  } else {
    for (;;) {
      const name = s.name();
      s.expect('=');
      pairs.push([name, s.quoted()]);
      const next = s.peek();
      if (next === ',') {
        s.pos++;
        if (s.peek() === '}') {
          s.pos++;
          break;
        }
        continue;
      }
      s.expect('}');
      break;
    }
  }
  if (s.peek() !== undefined) throw new LabelSyntaxError("unexpected text after '}'", s.pos);
  return pairs;
}
