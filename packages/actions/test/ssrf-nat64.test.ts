/**
 * The SSRF guard also refuses NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`) and Azure's wire server 168.63.129.16
 * (docs/ARCHITECTURE.md, "Outgoing requests"): 168.63.129.16 always, like 169.254.169.254, even allowlisted with its
 * CIDR allowed; NAT64 addresses unless `allowCidrs` lists them, and never with a metadata address inside. Requests to
 * literal addresses are refused before any connection (a real local HTTP server would record one).
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { recordingServerPerSuite, type RecordingServer } from '../../../test/support/recording-server.js';
import { httpRequest, restrictedReason, type ActionContext, type HttpSettings, type KubeClients } from '../src/index.js';
import { allowList, checkAddress } from '../src/notify/address-policy.js';

const context = (http: HttpSettings): ActionContext => ({ kube: {} as KubeClients, http });
const refusedFor = (settings: HttpSettings, address: string): string | null => {
  try {
    checkAddress(settings, allowList(settings), 'hooks.example.com', address);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('SSRF guard: NAT64 and the Azure wire server', () => {
  const recording = recordingServerPerSuite();
  let server: RecordingServer;
  beforeEach(() => (server = recording()));

  it('classifies NAT64 prefixes and 168.63.129.16 as restricted', () => {
    const cases: [string, RegExp | null][] = [
      ['168.63.129.16', /cloud metadata/],
      ['::ffff:168.63.129.16', /cloud metadata/],
      ['64:ff9b::a83f:8110', /cloud metadata endpoint, inside the IPv6 address/], // 168.63.129.16 through NAT64
      ['64:ff9b::a9fe:a9fe', /cloud metadata/], // 169.254.169.254
      ['64:ff9b::10.1.2.3', /private/],
      ['64:ff9b::8.8.8.8', /^NAT64 \(64:ff9b::\/96\)/], // public inside: still a translator
      ['64:ff9b:1::1', /^NAT64 local use \(64:ff9b:1::\/48\)/],
      ['64:ff9b:1:ffff::808:808', /NAT64 local use/],
      ['168.63.129.17', null],
      ['64:ff9c::1', null],
    ];
    for (const [address, want] of cases) {
      const got = restrictedReason(address);
      if (want === null) assert.equal(got, null, address);
      else assert.match(got ?? '', want, address);
    }
  });

  it('168.63.129.16 is refused even when allowlisted and its CIDR allowed; NAT64 only with its own allowCidrs entry', async () => {
    const azure: HttpSettings = { allowHosts: ['168.63.129.16'], allowCidrs: ['168.63.0.0/16', '64:ff9b::/96'] };
    await assert.rejects(httpRequest.run(context(azure), { method: 'GET', url: 'http://168.63.129.16/machine?comp=goalstate' }), /cloud metadata endpoint; no action may reach it/);
    await assert.rejects(httpRequest.run(context({ allowHosts: ['64:ff9b::808:808'] }), { method: 'GET', url: 'http://[64:ff9b::808:808]/' }), /NAT64 \(64:ff9b::\/96\)/);
    await assert.rejects(
      httpRequest.run(context({ allowHosts: ['64:ff9b:1::1'], allowCidrs: ['64:ff9b::/96'] }), { method: 'GET', url: 'http://[64:ff9b:1::1]/' }),
      /NAT64 local use/,
    );
    assert.equal(server.requests.length, 0);

    // Resolved addresses (what a DNS64 resolver answers for an allowlisted name) go through the same check.
    const nat64: HttpSettings = { allowHosts: ['hooks.example.com'], allowCidrs: ['64:ff9b::/96'] };
    assert.equal(refusedFor(nat64, '64:ff9b::808:808'), null, 'an explicit NAT64 entry allows a public IPv4 through it');
    assert.match(refusedFor(nat64, '64:ff9b::a83f:8110') ?? '', /cloud metadata endpoint; no action may reach it/);
    assert.match(refusedFor(nat64, '64:ff9b::a00:1') ?? '', /private \(RFC 1918\), inside the IPv6 address/);
    assert.match(refusedFor({ allowHosts: ['hooks.example.com'], allowCidrs: ['::/0'] }, '64:ff9b::a9fe:a9fe') ?? '', /cloud metadata/);
    assert.match(refusedFor({ allowHosts: ['hooks.example.com'] }, '64:ff9b::808:808') ?? '', /NAT64/);
    assert.equal(refusedFor({ allowHosts: ['hooks.example.com'] }, '8.8.8.8'), null, 'public addresses as before');
  });
});
