/**
 * HTTPS served by Bulwark itself (`server.tls`): the certificate and key files, an optional CA for client certificates
 * (mTLS) and an optional second port for plain HTTP. The files are read and checked when the configuration loads —
 * present, parseable PEM, the key matching the certificate — so a bad pair fails the start with its path instead of
 * the first handshake. The same reading (`readTlsFiles`) is what the server uses when the files change (cert-manager
 * rotates them), so a rotated pair is accepted by exactly the rules a starting one is.
 * See docs/ARCHITECTURE.md, "Configuration".
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { z } from 'zod';

/** The PEM contents of a TLS configuration, read and checked together. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  /** The CA bundle client certificates must chain to; absent: no client certificates are asked for. */
  ca?: Buffer;
}

export interface TlsFileProblem {
  /** The key under `server.tls` the problem is about. */
  field: 'cert_file' | 'key_file' | 'client_ca_file';
  message: string;
}

/** Every PEM certificate block in a file (a chain or a CA bundle). */
function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function readFile(path: string, field: TlsFileProblem['field'], problems: TlsFileProblem[]): Buffer | null {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({ field, message: code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${(err as Error).message}` });
    return null;
  }
}

/**
 * Reads the files and lists every problem: missing or unreadable files, no PEM certificate, a key that does not
 * parse or does not belong to the certificate (the first certificate of the file: the leaf, followed by its chain),
 * a CA file without a certificate. `files` is set only when there is no problem.
 */
export function readTlsFiles(paths: { cert_file: string; key_file: string; client_ca_file?: string | undefined }): {
  files?: TlsFiles;
  problems: TlsFileProblem[];
} {
  const problems: TlsFileProblem[] = [];
  const cert = readFile(paths.cert_file, 'cert_file', problems);
  const key = readFile(paths.key_file, 'key_file', problems);
  const ca = paths.client_ca_file === undefined ? undefined : readFile(paths.client_ca_file, 'client_ca_file', problems);
  let leaf: X509Certificate | null = null;
  if (cert) {
    const blocks = pemCertificates(cert.toString('utf8'));
    if (blocks.length === 0) problems.push({ field: 'cert_file', message: `${paths.cert_file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` });
    else {
      try {
        leaf = new X509Certificate(blocks[0]!);
      } catch (err) {
        problems.push({ field: 'cert_file', message: `${paths.cert_file}: not a valid certificate: ${(err as Error).message}` });
      }
    }
  }
  if (key) {
    try {
      const privateKey = createPrivateKey(key);
      if (leaf && !leaf.checkPrivateKey(privateKey)) {
        problems.push({ field: 'key_file', message: `${paths.key_file} is not the private key of the certificate in ${paths.cert_file} (subject ${leaf.subject.replace(/\n/g, ', ')})` });
      }
    } catch (err) {
      problems.push({ field: 'key_file', message: `${paths.key_file}: not an unencrypted PEM private key: ${(err as Error).message}` });
    }
  }
  if (ca) {
    const blocks = pemCertificates(ca.toString('utf8'));
    if (blocks.length === 0) problems.push({ field: 'client_ca_file', message: `${paths.client_ca_file} holds no PEM certificate` });
    for (const [i, block] of blocks.entries()) {
      try {
        new X509Certificate(block);
      } catch (err) {
        problems.push({ field: 'client_ca_file', message: `${paths.client_ca_file}: certificate ${i + 1} is not valid: ${(err as Error).message}` });
      }
    }
  }
  if (problems.length > 0 || !cert || !key) return { problems };
  return { files: { cert, key, ...(ca ? { ca } : {}) }, problems };
}

const port = z.coerce.number().int().min(0).max(65535);

/** `server.tls`: when present, `server.port` serves HTTPS (and only HTTPS unless `http_port` is set). */
export const TlsSettingsSchema = z
  .strictObject({
    /** PEM certificate, followed by its intermediates; reloaded when it changes. */
    cert_file: z.string().min(1),
    /** PEM private key (unencrypted) of that certificate; reloaded when it changes. */
    key_file: z.string().min(1),
    /**
     * PEM CA bundle: client certificates are asked for and verified against it, and a verified one authenticates as
     * the token bound to its identity (mTLS). Absent: no client certificates.
     */
    client_ca_file: z.string().min(1).optional(),
    /** Also serve plain HTTP on this port (e.g. in-cluster probes, a sidecar); absent: HTTPS only. */
    http_port: port.optional(),
  })
  .superRefine((tls, ctx) => {
    for (const problem of readTlsFiles(tls).problems) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  });

export type TlsSettings = z.infer<typeof TlsSettingsSchema>;
