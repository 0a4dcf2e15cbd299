/**
 * `allowCidrs` is read by the one CIDR reading (`parseCidr` of @bulwark/schema) that also validates
 * `responder.http.allow_cidrs` at load: every entry the configuration accepts becomes exactly the range written, and
 * every entry it refuses is refused here too, with the same words.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BulwarkError, cidrProblem } from '@bulwark/schema';
import { allowList } from '../src/notify/address-policy.js';

const ENTRIES = [
  '10.0.0.0/8', '127.0.0.1/32', '0.0.0.0/0', 'fd00::/8', '::1/128', '64:ff9b::/96', ' 192.168.0.0/16 ',
  '10.1.2.3', '10.0.0.0/33', 'fd00::/129', 'example.com/24', '999.0.0.0/8', '010.0.0.0/8', '10/8', '0xa.0.0.0/8', 'fe80::1%eth0/64', '',
];

function refusal(entry: string): string | null {
  try {
    allowList({ allowHosts: [], allowCidrs: [entry] });
    return null;
  } catch (err) {
    assert.ok(err instanceof BulwarkError && err.code === 'BWK_CONFIG_INVALID', String(err));
    assert.equal(err.details?.field, 'http.allowCidrs');
    return err.message;
  }
}

describe('allowCidrs: one reading with the configuration check', () => {
  it('accepts and refuses exactly what the configuration check does, saying the same', () => {
    for (const entry of ENTRIES) {
      const problem = cidrProblem(entry);
      assert.equal(refusal(entry), problem === null ? null : `http.allowCidrs: ${problem}`, JSON.stringify(entry));
    }
    assert.ok(ENTRIES.filter((e) => cidrProblem(e) === null).length >= 7, 'the list holds entries of both kinds');
  });

  it('an accepted entry is the range written: octal- or short-looking forms are refused, not reinterpreted', () => {
    const list = allowList({ allowHosts: [], allowCidrs: ['10.0.0.0/8', 'fd00::/8'] });
    assert.equal(list.check('10.255.0.1', 'ipv4'), true);
    assert.equal(list.check('11.0.0.1', 'ipv4'), false);
    assert.equal(list.check('fd12::1', 'ipv6'), true);
    assert.equal(list.check('fe80::1', 'ipv6'), false);
    // 010.0.0.0 would be octal 8.0.0.0 to a lenient parser, and 10/8 would be 0.0.0.10/8.
    assert.match(refusal('010.0.0.0/8') ?? '', /not a CIDR/);
    assert.match(refusal('10/8') ?? '', /not a CIDR/);
  });
});
