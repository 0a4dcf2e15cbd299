/**
 * The regex prefilter (regex-literals.ts) may only say "no literal" when unsure: every value a pattern matches
 * contains every literal it extracts. Checked on hand-picked patterns (the bundled rules' shapes), and on random
 * patterns and values, case-sensitive and not, against re2js itself; and `re` rules still match through it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RE2JS } from 're2js';
import { prefilterText, requiredLiterals } from '../src/regex-literals.js';
import { event, matches } from './helpers.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe('requiredLiterals', () => {
  it('finds the top-level literal runs and gives up on what it does not read', () => {
    const cases: [string, string[]][] = [
      [String.raw`base64\s+(-d|--decode|-D)\b[^|\n]*\|\s*(sudo\s+)?(ba|da|z)?sh\b`, ['base64', '|', 'sh']],
      [String.raw`\b(curl|wget)\b[^\n]*(;|&&)\s*chmod\s+(\+x|[0-7]{3,4})`, ['chmod']],
      [String.raw`^/etc/.*\.conf$`, ['/etc/', '.conf']],
      ['AB+c?D{0,2}e{2}f', ['ab', 'e', 'f']],
      ['x[]|a]y(?i)Z', ['x', 'y', 'z']],
      ['a|b', []],
      [String.raw`A\x41B`, []],
      [String.raw`\Qa.b\E`, []],
      ['caf\u00e9 ok', ['caf', ' ok']],
      ['+a', []],
      ['a{,2}', []],
    ];
    for (const [pattern, literals] of cases) assert.deepEqual(requiredLiterals(pattern), literals, pattern);
  });

  it('never rejects a value the pattern matches (random patterns and values, re2js as the judge)', () => {
    const r = rng(5);
    const atoms = ['a', 'b', 'S', 'k', '.', '\\.', '\\|', '[ab]', '[^a]', '(a|b)', '(?i:B)', '\\s', '\\d', '\\b', '^', '$', 'ſ', 'K', '(ab)?'];
    const quants = ['', '', '', '?', '*', '+', '{2}', '{0,1}', '{1,}', '+?'];
    const alphabet = ['a', 'b', 'A', 'B', 's', 'S', 'ſ', 'k', 'K', 'K', '.', '|', ' ', '1'];
    let checked = 0;
    for (let k = 0; k < 3000; k++) {
      const pattern = Array.from({ length: 1 + Math.floor(r() * 6) }, () => atoms[Math.floor(r() * atoms.length)]! + quants[Math.floor(r() * quants.length)]!).join('');
      const flags = r() < 0.5 ? RE2JS.CASE_INSENSITIVE : 0;
      let re: RE2JS;
      try {
        re = RE2JS.compile(pattern, flags);
      } catch {
        continue;
      }
      const literals = requiredLiterals(pattern);
      for (let j = 0; j < 40; j++) {
        const value = Array.from({ length: Math.floor(r() * 8) }, () => alphabet[Math.floor(r() * alphabet.length)]!).join('');
        if (!re.test(value)) continue;
        const folded = prefilterText(value.toLowerCase());
        for (const literal of literals) assert.ok(folded.includes(literal), `/${pattern}/${flags ? 'i' : ''} matches '${value}' without '${literal}'`);
        checked++;
      }
    }
    assert.ok(checked > 5_000, `only ${checked} matching values`);
  });

  it('re rules match and miss through the prefilter', () => {
    const rule = "sel:\n  f|re|i: '\\b(curl|wget)\\b[^|;\\n]*\\|\\s*(sudo\\s+)?(ba|da|z|k)?sh\\b'\ncondition: sel";
    assert.equal(matches(rule, event({ f: 'RUN CURL -s http://x/y.sh | SUDO bash' })), true);
    assert.equal(matches(rule, event({ f: 'curl -s http://x/y.sh > /tmp/a; sh /tmp/a' })), false);
    assert.equal(matches("sel:\n  f|re: 'Secret[0-9]+'\ncondition: sel", event({ f: 'secret42' })), false, 'case-sensitive still');
  });
});
