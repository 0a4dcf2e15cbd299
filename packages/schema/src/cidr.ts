/**
 * The one reading of a CIDR (`10.0.0.0/8`, `fd00::/8`), shared by the configuration check of
 * `responder.http.allow_cidrs` and the outgoing-HTTP address policy that applies it, so a range the configuration
 * accepts is exactly the range the policy allows (docs/ARCHITECTURE.md, "Configuration").
 *
 * Addresses are read by Node's `net.isIP`, which takes only the canonical forms: four decimal octets for IPv4, and
 * IPv6 text without a zone. A more lenient parser (ipaddr.js, which express brings in) reads `010.0.0.0` as octal
 * 8.0.0.0 and `10/8` as 0.0.0.10/8 — an allowlist entry must never mean another range than the one written.
 */
import { isIP } from 'node:net';

export interface Cidr {
  /** The address as written (trimmed). */
  address: string;
  /** Prefix length: 0–32 for IPv4, 0–128 for IPv6. */
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export type CidrReading = { success: true; cidr: Cidr } | { success: false; problem: string };

/** Reads `text` as a CIDR; on failure, says why in words fit for a configuration problem. */
export function parseCidr(text: string): CidrReading {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text.trim());
  const family = m ? isIP(m[1]!) : 0;
  if (!m || family === 0) return { success: false, problem: `"${text}" is not a CIDR such as 10.0.0.0/8 or fd00::/8` };
  const width = family === 4 ? 32 : 128;
  const prefix = Number(m[2]);
  if (prefix > width) return { success: false, problem: `"${text}": an IPv${family} prefix is at most /${width}` };
  return { success: true, cidr: { address: m[1]!, prefix, family: family === 4 ? 'ipv4' : 'ipv6' } };
}

/** Why `text` is not a CIDR, or null when it is one. */
export function cidrProblem(text: string): string | null {
  const reading = parseCidr(text);
  return reading.success ? null : reading.problem;
}
