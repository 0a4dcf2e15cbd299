/**
 * Which addresses outgoing HTTP may reach (SSRF guard for outbound.ts): loopback, private (RFC 1918, CGNAT, ULA),
 * link-local, unspecified, multicast and reserved ranges — also inside IPv4-mapped, IPv4-compatible, NAT64 and 6to4
 * IPv6 forms — are refused unless `http.allowCidrs` lists them; cloud metadata endpoints (including Azure's wire
 * server, 168.63.129.16, a public address) always, whatever the host allowlist or `allowCidrs` say.
 *
 * NAT64 prefixes (`64:ff9b::/96`, RFC 6052, and the local-use `64:ff9b:1::/48`, RFC 8215) reach IPv4 through a
 * translator, which may sit inside the network: an address there is refused as such, even with a public IPv4 inside,
 * unless `allowCidrs` lists it (IPv6-only clusters with DNS64 opt in explicitly); its embedded IPv4 is checked too
 * (a metadata endpoint inside is never reachable, a private one needs its own `allowCidrs` entry).
 */
import { BlockList, isIP, isIPv4 } from 'node:net';
import { BulwarkError, parseCidr } from '@bulwark/schema';
import type { HttpSettings } from '../action.js';

/** Never reachable, whatever `allowCidrs` says: instance credentials live there. */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', '168.63.129.16', 'fd00:ec2::254']);

const V4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private (RFC 1918)'],
  ['100.64.0.0', 10, 'shared (carrier-grade NAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private (RFC 1918)'],
  ['192.0.0.0', 24, 'reserved (IETF protocol assignments)'],
  ['192.168.0.0', 16, 'private (RFC 1918)'],
  ['198.18.0.0', 15, 'reserved (benchmarking)'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const V6_RANGES: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fc00::', 7, 'private (unique local)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
  ['100::', 64, 'reserved (discard)'],
];

/** NAT64 prefixes: refused as such (see above), before the IPv4 inside is looked at. */
const NAT64_RANGES: [string, number, string][] = [
  ['64:ff9b::', 96, 'NAT64 (64:ff9b::/96): it reaches IPv4 through a translator'],
  ['64:ff9b:1::', 48, 'NAT64 local use (64:ff9b:1::/48): it reaches IPv4 through a translator'],
];
const NAT64 = NAT64_RANGES.map(([a, p, why]) => ({ why, list: subnet(a, p, 'ipv6') }));

/** Why `address` is in a NAT64 prefix, or null. */
export function nat64Reason(address: string): string | null {
  if (isIP(address) !== 6) return null;
  return NAT64.find((r) => r.list.check(address, 'ipv6'))?.why ?? null;
}

const RANGES = V4_RANGES.map(([a, p, why]) => ({ why, list: subnet(a, p, 'ipv4') })).concat(
  V6_RANGES.map(([a, p, why]) => ({ why, list: subnet(a, p, 'ipv6') })),
);

function subnet(address: string, prefix: number, family: 'ipv4' | 'ipv6'): BlockList {
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return list;
}

/** The 16 bytes of an IPv6 address (validated by `isIP` first). */
function v6Bytes(address: string): number[] {
  // A trailing dotted quad (::ffff:127.0.0.1) becomes two hex groups.
  const text = address
    .toLowerCase()
    .replace(/%.*$/, '')
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = groups(head);
  const right = groups(tail);
  const words = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), or null. */
export function embeddedIPv4(address: string): string | null {
  if (isIP(address) !== 6) return null;
  const b = v6Bytes(address);
  if (b.length !== 16) return null;
  const v4 = (o: number) => b.slice(o, o + 4).join('.');
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12); // ::ffff:a.b.c.d
  if (zero(0, 12) && !zero(12, 16) && !(zero(12, 15) && b[15] === 1)) return v4(12); // ::a.b.c.d (deprecated)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return v4(12); // 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2); // 2002::/16 (6to4)
  return null;
}

/** Why an address must not be reached (null: a public address). */
export function restrictedReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const inner = embeddedIPv4(address);
  if (inner !== null) {
    const why = restrictedReason(inner);
    if (why !== null) return `${why}, inside the IPv6 address ${address}`;
  }
  const nat64 = nat64Reason(address);
  if (nat64 !== null) return nat64;
  if (inner !== null) return null;
  if (METADATA.has(normalise(address))) return 'cloud metadata endpoint';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const r of RANGES) if (r.list.check(address, type)) return r.why;
  return null;
}

function normalise(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

function isMetadata(address: string): boolean {
  const inner = embeddedIPv4(address);
  return METADATA.has(normalise(inner ?? address));
}

/**
 * The `allowCidrs` ranges as one list, each read by `parseCidr` — the same reading that validated
 * `responder.http.allow_cidrs` at load. Settings that did not come through the configuration are checked here.
 * @throws BulwarkError BWK_CONFIG_INVALID (field `http.allowCidrs`) for an entry that is not a CIDR.
 */
export function allowList(settings: HttpSettings): BlockList {
  const list = new BlockList();
  for (const entry of settings.allowCidrs ?? []) {
    const reading = parseCidr(entry);
    if (!reading.success) throw new BulwarkError('BWK_CONFIG_INVALID', `http.allowCidrs: ${reading.problem}`, { field: 'http.allowCidrs' });
    list.addSubnet(reading.cidr.address, reading.cidr.prefix, reading.cidr.family);
  }
  return list;
}

/** @throws BulwarkError BWK_BAD_REQUEST (field `url`) when `address` may not be reached. */
export function checkAddress(settings: HttpSettings, allowed: BlockList, host: string, address: string): void {
  const why = restrictedReason(address);
  if (why === null) return;
  const inAllowed = (a: string) => allowed.check(a, isIPv4(a) ? 'ipv4' : 'ipv6');
  const inner = embeddedIPv4(address);
  const innerOk = inner !== null && (restrictedReason(inner) === null || inAllowed(inner));
  // A NAT64 address needs its own allowCidrs entry, and the IPv4 inside it must be reachable too.
  const exempt =
    !isMetadata(address) &&
    (nat64Reason(address) !== null ? inAllowed(address) && (inner === null || innerOk) : inAllowed(address) || (inner !== null && inAllowed(inner)));
  if (exempt) return;
  const shown = host === address ? address : `${host} resolves to ${address}, which`;
  throw new BulwarkError(
    'BWK_BAD_REQUEST',
    isMetadata(address)
      ? `refused: ${shown} is a cloud metadata endpoint; no action may reach it`
      : `refused: ${shown} is ${why}; only public addresses are reached unless http.allowCidrs lists them` +
        (settings.allowCidrs?.length ? ` (it allows ${settings.allowCidrs.join(', ')})` : ''),
    { field: 'url', host, address },
  );
}
