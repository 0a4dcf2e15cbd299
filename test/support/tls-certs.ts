/**
 * Certificates for TLS tests, made in process with @peculiar/x509 (ECDSA P-256: fast to generate): a CA, server
 * certificates for 127.0.0.1 and client certificates with a chosen subject CN and subject alternative names, each
 * as PEM text, plus a helper writing them to files as `server.tls` reads them.
 */
import { webcrypto, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @peculiar/x509 resolves its ASN.1 schemas through decorators' metadata, which needs this polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

// The library's types name the DOM's Crypto; Node's webcrypto is that implementation.
x509.cryptoProvider.set(webcrypto as never);

type KeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Pem {
  cert: string;
  key: string;
}

export interface TestCa extends Pem {
  /** Issues a certificate signed by this CA. */
  issue(options: IssueOptions): Promise<Pem>;
}

export interface IssueOptions {
  cn: string;
  /** DNS names, IP addresses and URIs for the subject alternative name extension. */
  dns?: string[];
  ips?: string[];
  uris?: string[];
  /** Valid from `notBefore` for `days` (default: from an hour ago, for a day). */
  notBefore?: Date;
  days?: number;
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN PRIVATE KEY-----\n${lines}\n-----END PRIVATE KEY-----\n`;
}

function serial(): string {
  return randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');
}

function validity(options: { notBefore?: Date; days?: number }): { notBefore: Date; notAfter: Date } {
  const notBefore = options.notBefore ?? new Date(Date.now() - 3_600_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + (options.days ?? 1) * 86_400_000 + 3_600_000) };
}

async function generateKeys(): Promise<KeyPair> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as KeyPair;
}

/** A new CA (self-signed, CA:TRUE). */
export async function createCa(cn = `bulwark-test-ca-${randomBytes(3).toString('hex')}`): Promise<TestCa> {
  const keys = await generateKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${cn}`,
    ...validity({ days: 2 }),
    signingAlgorithm: ALG,
    keys: keys as never,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return {
    cert: ca.toString('pem') + '\n',
    key: await pkcs8Pem(keys.privateKey),
    async issue(options) {
      const leafKeys = await generateKeys();
      const names: x509.JsonGeneralName[] = [
        ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
        ...(options.uris ?? []).map((value) => ({ type: 'url' as const, value })),
      ];
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${options.cn}`,
        issuer: ca.subject,
        ...validity(options),
        signingAlgorithm: ALG,
        publicKey: leafKeys.publicKey as never,
        signingKey: keys.privateKey as never,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
          ...(names.length ? [new x509.SubjectAlternativeNameExtension(names)] : []),
          await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey as never),
        ],
      });
      return { cert: cert.toString('pem') + '\n', key: await pkcs8Pem(leafKeys.privateKey) };
    },
  };
}

/** Writes a certificate and key as `<name>.crt` and `<name>.key` in `dir`; returns the paths. */
export function writePem(dir: string, name: string, pem: Pem): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  writeFileSync(certFile, pem.cert);
  writeFileSync(keyFile, pem.key, { mode: 0o600 });
  return { certFile, keyFile };
}
