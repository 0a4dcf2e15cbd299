/**
 * Client certificates as a credential (mTLS): the usual way an API server authenticates to a webhook. A token can be
 * bound to a certificate identity (`client_cert` when minting: subject CN, a DNS or a URI subject alternative name);
 * a request whose TLS connection presented a certificate the server verified against `server.tls.client_ca_file`
 * authenticates as the one live token bound to that identity, with that token's scopes and sources, and revoking the
 * token ends it. Only the socket's `authorized` flag — OpenSSL's verdict on the chain — lets a certificate count: the
 * server asks for certificates without requiring them, so an unverified one reaches this code and must stand for
 * nobody. See docs/ARCHITECTURE.md, "Tokens and sources".
 */
import { TLSSocket } from 'node:tls';
import type { Request } from 'express';
import type { ClientCertBinding } from '@bulwark/store';

/** What a verified client certificate says about its holder. */
export interface CertIdentity {
  subjectCn: string | null;
  dns: string[];
  uris: string[];
  /** SHA-256 of the certificate (colon-separated hex, as Node prints it): logged, never trusted for matching. */
  fingerprint256: string;
}

/**
 * The identity of the client certificate the request's connection presented, only when the server verified it
 * against its CA; null for plain HTTP, no certificate, or a certificate that did not verify.
 */
export function verifiedCertificateOf(req: Request): CertIdentity | null {
  const socket = req.socket;
  if (!(socket instanceof TLSSocket) || socket.authorized !== true) return null;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0 || !cert.raw) return null;
  const cn = cert.subject?.CN;
  const { dns, uris } = parseSubjectAltName(cert.subjectaltname ?? '');
  // Several CNs name nobody in particular: only SAN bindings can match such a certificate.
  return { subjectCn: typeof cn === 'string' ? cn : null, dns, uris, fingerprint256: cert.fingerprint256 };
}

/**
 * Node's `subjectaltname` text: `DNS:a.example, URI:spiffe://x, IP Address:10.0.0.1`; a value holding a comma or a
 * quote is printed as a JSON string (`DNS:"a,b"`), which is read back as one value rather than split.
 */
export function parseSubjectAltName(text: string): { dns: string[]; uris: string[] } {
  const dns: string[] = [];
  const uris: string[] = [];
  let rest = text.trim();
  while (rest.length > 0) {
    const colon = rest.indexOf(':');
    if (colon < 0) break;
    const kind = rest.slice(0, colon).trim();
    rest = rest.slice(colon + 1);
    let value: string;
    if (rest.startsWith('"')) {
      // A JSON string: find its closing quote, skipping escaped ones.
      let end = 1;
      while (end < rest.length && rest[end] !== '"') end += rest[end] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(rest.slice(0, end + 1)) as string;
      } catch {
        break; // not what Node prints: trust none of the rest
      }
      rest = rest.slice(end + 1);
    } else {
      const comma = rest.indexOf(',');
      value = comma < 0 ? rest : rest.slice(0, comma);
      rest = comma < 0 ? '' : rest.slice(comma);
    }
    if (kind === 'DNS') dns.push(value.trim());
    else if (kind === 'URI') uris.push(value.trim());
    rest = rest.replace(/^\s*,\s*/, '');
  }
  return { dns, uris };
}

/** True when every field the binding names matches the certificate (DNS names case-insensitively). */
export function bindingMatches(binding: ClientCertBinding, identity: CertIdentity): boolean {
  const named = [binding.subjectCn, binding.sanDns, binding.sanUri].some((v) => v !== undefined);
  if (!named) return false;
  if (binding.subjectCn !== undefined && binding.subjectCn !== identity.subjectCn) return false;
  if (binding.sanDns !== undefined && !identity.dns.some((d) => d.toLowerCase() === binding.sanDns!.toLowerCase())) return false;
  if (binding.sanUri !== undefined && !identity.uris.includes(binding.sanUri)) return false;
  return true;
}

/** A binding as people read it: `CN=kube-apiserver, DNS=…`. */
export function describeBinding(binding: ClientCertBinding): string {
  return [
    binding.subjectCn !== undefined ? `CN=${binding.subjectCn}` : null,
    binding.sanDns !== undefined ? `DNS=${binding.sanDns}` : null,
    binding.sanUri !== undefined ? `URI=${binding.sanUri}` : null,
  ]
    .filter(Boolean)
    .join(', ');
}
