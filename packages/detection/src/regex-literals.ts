/**
 * Required literals of a regular expression: text every match must contain, found once at rule load, so a `re`
 * test can reject most values with `includes` before running the pattern (re2js is linear-time but costs
 * microseconds per value, and container-log rules run several patterns on every log line). RE2's own prefilter
 * does the same (re2/prefilter.cc); this one is deliberately simpler and only ever errs towards "no literal".
 *
 * Only the top level of the pattern is read: if it has an alternation there, nothing is required. Literal runs are
 * maximal sequences of plain ASCII characters (or escaped punctuation) between anything else — groups, classes,
 * `.`, anchors, `\d`-style escapes — a character under `?`, `*` or `{0,…}` is dropped, one under `+` or `{n≥1,…}`
 * ends the run. Anything not understood (`\Q`, hex or octal escapes, a `{` that is not a repetition) gives up.
 * Literals are lower-cased and compared with the lower-cased value (see `prefilterText`), which is a necessary
 * condition whether or not the pattern is case-insensitive.
 */

/** Lower-cased literals every match of `pattern` contains; empty when none can be proven. */
export function requiredLiterals(pattern: string): string[] {
  const runs: string[] = [];
  let run = '';
  const end = () => {
    if (run) runs.push(run.toLowerCase());
    run = '';
  };
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    let literal: string | undefined;
    let next = i + 1;
    if (c === '|') return [];
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) return [];
      if (/[A-Za-z0-9]/.test(e)) {
        if (!/[dDwWsSbBAzntrfv]/.test(e)) return []; // \Q…\E, \x41, \p{…}, octal: not worth understanding
      } else if (e.charCodeAt(0) < 128) literal = e;
      next = i + 2;
    } else if (c === '[') {
      next = skipClass(pattern, i);
    } else if (c === '(') {
      next = skipGroup(pattern, i);
    } else if (c === ')' || c === ']') {
      return [];
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      return []; // a quantifier with nothing before it: leave such patterns to the engine
    } else if (c !== '.' && c !== '^' && c !== '$' && c.charCodeAt(0) < 128) {
      literal = c;
    }
    if (next < 0) return [];
    const q = quantifier(pattern, next);
    if (q === undefined) return [];
    if (literal === undefined || q.min === 0) {
      end();
    } else {
      run += literal;
      if (q.length > 0) end();
    }
    i = next + q.length;
  }
  end();
  return [...new Set(runs)];
}

/** A value folded the way `requiredLiterals` folds literals: lower case, and `ſ` (which RE2 folds to s) as s. */
export function prefilterText(lowerCased: string): string {
  return lowerCased.includes('ſ') ? lowerCased.replaceAll('ſ', 's') : lowerCased;
}

/** The quantifier at `i` (none: length 0, min 1), or undefined for a `{` that does not parse as a repetition. */
function quantifier(pattern: string, i: number): { length: number; min: number } | undefined {
  const c = pattern[i];
  let length = 0;
  let min = 1;
  if (c === '*' || c === '?') [length, min] = [1, 0];
  else if (c === '+') [length, min] = [1, 1];
  else if (c === '{') {
    const m = /^\{(\d+)(,\d*)?\}/.exec(pattern.slice(i));
    if (!m) return undefined;
    [length, min] = [m[0].length, Number(m[1])];
  }
  if (length > 0 && (pattern[i + length] === '?' || pattern[i + length] === '+')) length++; // lazy or possessive
  return { length, min };
}

/** The index after the class starting at `i` (`[^]…]` and `[]…]` hold a literal `]`), or -1. */
function skipClass(pattern: string, i: number): number {
  let j = i + 1;
  if (pattern[j] === '^') j++;
  if (pattern[j] === ']') j++;
  for (; j < pattern.length; j++) {
    if (pattern[j] === '\\') j++;
    else if (pattern[j] === '[' && pattern[j + 1] === ':') {
      const close = pattern.indexOf(':]', j + 2);
      if (close < 0) return -1;
      j = close + 1;
    } else if (pattern[j] === ']') return j + 1;
  }
  return -1;
}

/** The index after the group starting at `i` (nested groups and classes skipped whole), or -1. */
function skipGroup(pattern: string, i: number): number {
  let depth = 0;
  for (let j = i; j < pattern.length; j++) {
    const c = pattern[j];
    if (c === '\\') j++;
    else if (c === '[') {
      j = skipClass(pattern, j) - 1;
      if (j < 0) return -1;
    } else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return j + 1;
  }
  return -1;
}
