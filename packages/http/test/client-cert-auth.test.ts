/**
 * Client certificates as a credential over Bulwark's own TLS (`server.tls.client_ca_file`): a certificate verified
 * against the CA authenticates as the live token bound to its identity (CN, DNS or URI SAN), with that token's scopes
 * and sources. Refused: a certificate from another CA (even with the bound CN), a verified certificate no token is
 * bound to, a revoked token's binding, two tokens bound to one certificate. A valid bearer token wins over the
 * certificate; an unknown one does not stop a bound certificate. Plain HTTP never sees a certificate.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { SqliteTokenStore } from '@bulwark/store';
import { BulwarkError } from '@bulwark/schema';
import { Authenticator, listen, mintToken, parseSubjectAltName, plainServerOf } from '../src/index.js';
import { createCa, writePem, type Pem, type TestCa } from '../../../test/support/tls-certs.js';
import { tlsRequest } from '../../../test/support/tls-client.js';

describe('client certificates authenticate as the token bound to them', () => {
  let dir: string;
  let ca: TestCa;
  let server: Server;
  let tokens: SqliteTokenStore;
  let auth: Authenticator;
  let port: number;
  const certs: Record<string, Pem> = {};

  const whoami = (cert?: Pem, bearer?: string) =>
    tlsRequest(port, '/whoami', { ca: ca.cert, ...(cert ? { cert: cert.cert, key: cert.key } : {}), ...(bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {}) });
  const bind = async (name: string, clientCert: Parameters<typeof mintToken>[4], scopes = ['ingest']) => {
    const minted = mintToken(name, scopes, undefined, ['k8s-audit'], clientCert);
    await tokens.put(minted.stored);
    auth.forget();
    return minted;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-mtls-'));
    ca = await createCa();
    const other = await createCa();
    const serverFiles = writePem(dir, 'server', await ca.issue({ cn: 'bulwark', ips: ['127.0.0.1'] }));
    writeFileSync(join(dir, 'clients-ca.crt'), ca.cert);
    certs.apiserver = await ca.issue({ cn: 'kube-apiserver' });
    certs.sans = await ca.issue({ cn: 'ignored', dns: ['Audit.Example.com'], uris: ['spiffe://cluster.local/ns/kube-system/sa/apiserver'] });
    certs.unbound = await ca.issue({ cn: 'nobody-bound' });
    certs.forged = await other.issue({ cn: 'kube-apiserver' });
    certs.revoked = await ca.issue({ cn: 'revoked-one' });
    certs.twice = await ca.issue({ cn: 'bound-twice' });

    tokens = new SqliteTokenStore({ path: join(dir, 'tokens.db') });
    await tokens.init();
    auth = new Authenticator(tokens, 0);
    const app = express();
    app.get('/whoami', auth.require('ingest'), (req, res) => void res.json(req.principal));
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const e = err as BulwarkError;
      res.status(e.status ?? 500).json({ code: e.code });
    });
    server = await listen(app, { port: 0, host: '127.0.0.1', tls: { cert_file: serverFiles.certFile, key_file: serverFiles.keyFile, client_ca_file: join(dir, 'clients-ca.crt'), http_port: 0 } });
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await tokens?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a verified certificate authenticates as the token bound to its CN, with its scopes and sources', async () => {
    const token = await bind('kube-apiserver-mtls', { subjectCn: 'kube-apiserver' });
    const res = await whoami(certs.apiserver);
    assert.equal(res.status, 200, res.body);
    const principal = JSON.parse(res.body);
    assert.equal(principal.tokenId, token.stored.id);
    assert.deepEqual([principal.name, principal.scopes, principal.sources, principal.credential], ['kube-apiserver-mtls', ['ingest'], ['k8s-audit'], 'client-certificate']);
    assert.equal(principal.certificate.subjectCn, 'kube-apiserver');
  });

  it('binds by DNS SAN (case-insensitively) and by URI SAN', async () => {
    await bind('by-dns', { sanDns: 'audit.example.com', subjectCn: 'ignored' });
    assert.equal(JSON.parse((await whoami(certs.sans)).body).name, 'by-dns');
    await tokens.revoke((await tokens.list()).find((t) => t.name === 'by-dns')!.id);
    await bind('by-uri', { sanUri: 'spiffe://cluster.local/ns/kube-system/sa/apiserver' });
    assert.equal(JSON.parse((await whoami(certs.sans)).body).name, 'by-uri');
  });

  it('a certificate from another CA is no credential, even with the bound CN', async () => {
    const res = await whoami(certs.forged);
    assert.equal(res.status, 401);
    assert.equal(JSON.parse(res.body).code, 'BWK_AUTH_MISSING');
  });

  it('a verified certificate no token is bound to is refused', async () => {
    const res = await whoami(certs.unbound);
    assert.deepEqual([res.status, JSON.parse(res.body).code], [401, 'BWK_AUTH_INVALID']);
  });

  it("revoking the token ends its certificate's access", async () => {
    const token = await bind('to-revoke', { subjectCn: 'revoked-one' });
    assert.equal((await whoami(certs.revoked)).status, 200);
    await tokens.revoke(token.stored.id);
    assert.equal((await whoami(certs.revoked)).status, 401);
  });

  it('two live tokens bound to one certificate: refused rather than either chosen', async () => {
    await bind('twice-a', { subjectCn: 'bound-twice' });
    await bind('twice-b', { sanDns: 'nothing.example', subjectCn: 'bound-twice' });
    assert.equal((await whoami(certs.twice)).status, 200, 'a binding naming a SAN the certificate lacks does not match');
    await bind('twice-c', { subjectCn: 'bound-twice' }, ['read']);
    assert.equal((await whoami(certs.twice)).status, 401);
  });

  it('a valid bearer token wins over the certificate; an unknown one does not stop a bound certificate', async () => {
    const bearer = mintToken('shipper', ['ingest']);
    await tokens.put(bearer.stored);
    const both = JSON.parse((await whoami(certs.apiserver, bearer.secret)).body);
    assert.deepEqual([both.name, both.credential], ['shipper', 'token']);
    const unknown = JSON.parse((await whoami(certs.apiserver, 'bwk_not-a-token')).body);
    assert.deepEqual([unknown.name, unknown.credential], ['kube-apiserver-mtls', 'client-certificate']);
  });

  it('plain HTTP beside it carries no certificate: the bearer token is the only credential there', async () => {
    const res = await fetch(`http://127.0.0.1:${(plainServerOf(server)!.address() as { port: number }).port}/whoami`);
    assert.equal(res.status, 401);
  });
});

describe('parseSubjectAltName', () => {
  it("reads Node's text, including quoted values holding commas", () => {
    assert.deepEqual(parseSubjectAltName('DNS:a.example, URI:spiffe://x/y, IP Address:10.0.0.1, DNS:"b,c.example"'), {
      dns: ['a.example', 'b,c.example'],
      uris: ['spiffe://x/y'],
    });
    assert.deepEqual(parseSubjectAltName(''), { dns: [], uris: [] });
  });
});
