/**
 * HTTPS served by `listen` with `server.tls`: TLS 1.2 (AEAD suites only) and 1.3 accepted, older versions and CBC
 * suites refused at the handshake, renegotiation refused; plain HTTP beside it on `http_port`; the certificate
 * reloaded when its files change — including the symlink swap of a Kubernetes secret volume — without a restart, and
 * a broken new pair logged and ignored while the previous certificate keeps being served.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type ConnectionOptions } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { listen, plainServerOf } from '../src/index.js';
import { createCa, writePem, type TestCa } from '../../../test/support/tls-certs.js';
import { tlsRequest } from '../../../test/support/tls-client.js';

function app() {
  const a = express();
  a.get('/ping', (_req, res) => void res.json({ ok: true }));
  return a;
}

function portOf(server: Server): number {
  return (server.address() as { port: number }).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A TLS handshake's outcome: the negotiated protocol, or the error code. */
function handshake(port: number, ca: string, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, ...options }, () => {
      resolve(socket.getProtocol() ?? 'none');
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

async function eventually<T>(what: string, probe: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    assert.ok(Date.now() < deadline, `${what}: last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('listen with server.tls', () => {
  let ca: TestCa;
  let dir: string;
  before(async () => {
    ca = await createCa();
    dir = mkdtempSync(join(tmpdir(), 'bwk-tls-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves HTTPS with TLS 1.3 and TLS 1.2 AEAD suites; refuses TLS 1.1, CBC suites and renegotiation', async () => {
    const files = writePem(dir, 'versions', await ca.issue({ cn: 'bulwark-versions', ips: ['127.0.0.1'] }));
    const server = await listen(app(), { port: 0, host: '127.0.0.1', tls: { cert_file: files.certFile, key_file: files.keyFile } });
    try {
      const port = portOf(server);
      const res = await tlsRequest(port, '/ping', { ca: ca.cert });
      assert.deepEqual([res.status, res.serverCn, res.protocol], [200, 'bulwark-versions', 'TLSv1.3']);
      assert.equal(await handshake(port, ca.cert, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }), 'TLSv1.2');
      // The client offers TLS 1.1 (its own floor lowered so the offer is made at all): the server answers with an alert.
      const old = await handshake(port, ca.cert, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' });
      assert.match(old, /ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/, `TLS 1.1 refused by the server: ${old}`);
      const cbc = await handshake(port, ca.cert, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA' });
      assert.match(cbc, /HANDSHAKE_FAILURE|NO_SHARED_CIPHER/, `a CBC-only TLS 1.2 client is refused: ${cbc}`);

      const renegotiation = await new Promise<string>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, ca: ca.cert, maxVersion: 'TLSv1.2' }, () => {
          socket.renegotiate({}, (err) => {
            resolve(err ? 'refused' : 'renegotiated');
            socket.destroy();
          });
        });
        socket.on('error', () => resolve('refused'));
        socket.on('close', () => resolve('refused'));
        // Renegotiation only happens once data flows: a request drives it.
        socket.write('GET /ping HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      assert.equal(renegotiation, 'refused');
    } finally {
      await closeServer(server);
    }
  });

  it('with http_port serves the same app over plain HTTP too, and closing the server closes both', async () => {
    const files = writePem(dir, 'dual', await ca.issue({ cn: 'bulwark-dual', ips: ['127.0.0.1'] }));
    const server = await listen(app(), { port: 0, host: '127.0.0.1', tls: { cert_file: files.certFile, key_file: files.keyFile, http_port: 0 } });
    const plain = plainServerOf(server);
    assert.ok(plain, 'a plain server beside the TLS one');
    const plainPort = portOf(plain);
    assert.notEqual(plainPort, portOf(server));
    assert.equal((await tlsRequest(portOf(server), '/ping', { ca: ca.cert })).status, 200);
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${plainPort}/ping`)).json(), { ok: true });
    // The TLS port speaks only TLS.
    await assert.rejects(fetch(`http://127.0.0.1:${portOf(server)}/ping`));
    await closeServer(server);
    assert.equal(plain.listening, false, 'the plain server closed with the TLS one');
    await assert.rejects(fetch(`http://127.0.0.1:${plainPort}/ping`));
  });

  it('without tls serves plain HTTP only', async () => {
    const server = await listen(app(), { port: 0, host: '127.0.0.1' });
    assert.equal(plainServerOf(server), null);
    assert.deepEqual(await (await fetch(`http://127.0.0.1:${portOf(server)}/ping`)).json(), { ok: true });
    await closeServer(server);
  });

  it('reloads a rotated certificate without a restart (secret-volume symlink swap); a broken pair keeps the previous one and says why', async () => {
    // A Kubernetes secret volume: tls.crt -> ..data/tls.crt, ..data -> ..<timestamp>; an update swaps ..data.
    const volume = join(dir, 'volume');
    const generation = async (name: string, cn: string) => {
      mkdirSync(join(volume, name), { recursive: true });
      const pem = await ca.issue({ cn, ips: ['127.0.0.1'] });
      writeFileSync(join(volume, name, 'tls.crt'), pem.cert);
      writeFileSync(join(volume, name, 'tls.key'), pem.key);
      return pem;
    };
    await generation('..gen1', 'bulwark-gen1');
    symlinkSync('..gen1', join(volume, '..data'));
    symlinkSync('..data/tls.crt', join(volume, 'tls.crt'));
    symlinkSync('..data/tls.key', join(volume, 'tls.key'));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
    const server = await listen(app(), { port: 0, host: '127.0.0.1', tls: { cert_file: join(volume, 'tls.crt'), key_file: join(volume, 'tls.key') } }, logger);
    try {
      const port = portOf(server);
      const cn = async () => (await tlsRequest(port, '/ping', { ca: ca.cert })).serverCn;
      assert.equal(await cn(), 'bulwark-gen1');

      await generation('..gen2', 'bulwark-gen2');
      symlinkSync('..gen2', join(volume, '..data_tmp'));
      renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
      await eventually('the rotated certificate is served', cn, (v) => v === 'bulwark-gen2');
      assert.ok(lines.some((l) => l.includes('TLS certificate reloaded')), 'the reload is logged');

      // A broken update: gen3's certificate with gen2's key. Refused, logged, gen2 still served.
      const gen2Key = readFileSync(join(volume, '..gen2', 'tls.key'), 'utf8');
      const gen3 = await generation('..gen3', 'bulwark-gen3');
      writeFileSync(join(volume, '..gen3', 'tls.key'), gen2Key);
      symlinkSync('..gen3', join(volume, '..data_tmp'));
      renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
      await eventually('the refusal is logged', async () => lines.join(''), (l) => l.includes('do not load'));
      assert.match(lines.find((l) => l.includes('do not load'))!, /is not the private key of the certificate/);
      assert.equal(await cn(), 'bulwark-gen2', 'the previous certificate is still served');

      // The next update is whole again: now it is served.
      mkdirSync(join(volume, '..gen4'));
      writeFileSync(join(volume, '..gen4', 'tls.crt'), gen3.cert);
      writeFileSync(join(volume, '..gen4', 'tls.key'), gen3.key);
      symlinkSync('..gen4', join(volume, '..data_tmp'));
      renameSync(join(volume, '..data_tmp'), join(volume, '..data'));
      await eventually('the completed pair is served', cn, (v) => v === 'bulwark-gen3');
    } finally {
      await closeServer(server);
    }
  });
});
