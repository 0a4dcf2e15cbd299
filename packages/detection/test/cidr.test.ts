/**
 * `cidr` on IPv4 is a mask comparison in JS (values.ts) rather than `net.BlockList.check`, which builds a native
 * SocketAddress per call; this checks the two agree on random subnets (every prefix length, host bits set in the
 * rule's address) and addresses, including IPv6 and non-addresses, which still go through BlockList or fail.
 */
import assert from 'node:assert/strict';
import { BlockList, isIP } from 'node:net';
import { describe, it } from 'node:test';
import { event, ruleSet } from './helpers.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

describe('cidr on IPv4', () => {
  it('agrees with net.BlockList on random subnets and addresses', () => {
    const r = rng(11);
    const quad = () => Array.from({ length: 4 }, () => Math.floor(r() * 256)).join('.');
    const near = (base: string) => base.split('.').map((p, i) => (i < 2 ? p : String(Math.floor(r() * 256)))).join('.');
    let hits = 0;
    for (let k = 0; k < 120; k++) {
      const address = quad();
      const prefix = k % 33;
      const rules = ruleSet(`sel:\n  f|cidr: '${address}/${prefix}'\ncondition: sel`);
      const list = new BlockList();
      list.addSubnet(address, prefix, 'ipv4');
      for (let j = 0; j < 40; j++) {
        const value = [quad(), near(address), address, '::ffff:' + address, 'fd00::1', '10.0.0', '01.2.3.4', ''][j % 8]!;
        const family = isIP(value);
        const expected = family !== 0 && list.check(value, family === 4 ? 'ipv4' : 'ipv6');
        assert.equal(rules.match(event({ f: value })).length === 1, expected, `${value} in ${address}/${prefix}`);
        if (expected) hits++;
      }
    }
    assert.ok(hits > 500, `only ${hits} addresses inside their subnets`);
  });
});
