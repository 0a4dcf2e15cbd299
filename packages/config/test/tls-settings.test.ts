/**
 * `server.tls` is checked when the configuration loads: the certificate and key files exist, hold PEM, and belong
 * together; the client CA file holds certificates; `http_port` differs from the HTTPS port. Every problem is listed
 * with its path, all in one go; the environment variables set the same keys.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@bulwark/config';
import { createCa, writePem } from '../../../test/support/tls-certs.js';

const dir = mkdtempSync(join(tmpdir(), 'bwk-cfg-tls-'));

function problems(env: NodeJS.ProcessEnv): Map<string, string> {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return new Map(err.problems.map((p) => [p.path, p.message]));
  }
  assert.fail('expected a ConfigError');
}

function withServer(yaml: string): NodeJS.ProcessEnv {
  const file = join(mkdtempSync(join(dir, 'c-')), 'bulwark.yaml');
  writeFileSync(file, `server:\n${yaml}`);
  return { BULWARK_CONFIG: file };
}

describe('config: server.tls', () => {
  let good: { certFile: string; keyFile: string };
  let other: { certFile: string; keyFile: string };
  let caFile: string;
  before(async () => {
    const ca = await createCa();
    good = writePem(dir, 'good', await ca.issue({ cn: 'bulwark', dns: ['bulwark.example'] }));
    other = writePem(dir, 'other', await ca.issue({ cn: 'someone-else' }));
    caFile = join(dir, 'ca.crt');
    writeFileSync(caFile, ca.cert);
  });

  it('is absent by default: plain HTTP', () => {
    assert.equal(loadConfig({}).server.tls, undefined);
  });

  it('loads a matching pair, a client CA and a plain port, from the file or the environment', () => {
    const fromFile = loadConfig(withServer(`  port: 8443\n  tls: { cert_file: ${good.certFile}, key_file: ${good.keyFile}, client_ca_file: ${caFile}, http_port: 8080 }\n`));
    assert.deepEqual(fromFile.server.tls, { cert_file: good.certFile, key_file: good.keyFile, client_ca_file: caFile, http_port: 8080 });
    const fromEnv = loadConfig({ BULWARK_TLS_CERT_FILE: good.certFile, BULWARK_TLS_KEY_FILE: good.keyFile, BULWARK_TLS_CLIENT_CA_FILE: caFile, BULWARK_HTTP_PORT: '8081' });
    assert.deepEqual(fromEnv.server.tls, { cert_file: good.certFile, key_file: good.keyFile, client_ca_file: caFile, http_port: 8081 });
  });

  it('lists every missing file at once', () => {
    const found = problems(withServer(`  tls: { cert_file: ${join(dir, 'nope.crt')}, key_file: ${join(dir, 'nope.key')}, client_ca_file: ${join(dir, 'nope-ca.crt')} }\n`));
    assert.match(found.get('server.tls.cert_file') ?? '', /no such file: .*nope\.crt/);
    assert.match(found.get('server.tls.key_file') ?? '', /no such file: .*nope\.key/);
    assert.match(found.get('server.tls.client_ca_file') ?? '', /no such file: .*nope-ca\.crt/);
  });

  it('refuses a key that is not the certificate\'s, naming the certificate', () => {
    const found = problems(withServer(`  tls: { cert_file: ${good.certFile}, key_file: ${other.keyFile} }\n`));
    assert.deepEqual([...found.keys()], ['server.tls.key_file']);
    assert.match(found.get('server.tls.key_file')!, /is not the private key of the certificate .*CN=bulwark/);
  });

  it('refuses files that are not PEM: a key as the certificate, a certificate as the key, text as the CA', () => {
    const text = join(dir, 'text.pem');
    writeFileSync(text, 'hello\n');
    const found = problems(withServer(`  tls: { cert_file: ${good.keyFile}, key_file: ${good.certFile}, client_ca_file: ${text} }\n`));
    assert.match(found.get('server.tls.cert_file') ?? '', /holds no PEM certificate/);
    assert.match(found.get('server.tls.key_file') ?? '', /not an unencrypted PEM private key/);
    assert.match(found.get('server.tls.client_ca_file') ?? '', /holds no PEM certificate/);
  });

  it('requires both files, and refuses http_port equal to the HTTPS port and unknown keys', () => {
    const found = problems(withServer(`  port: 8443\n  tls: { cert_file: ${good.certFile}, key_file: ${good.keyFile}, http_port: 8443, ciphers: RC4 }\n`));
    assert.match(found.get('server.tls.http_port') ?? '', /must differ from server.port \(8443\)/);
    assert.equal(found.get('server.tls.ciphers'), 'unknown key');
    const missing = problems({ BULWARK_TLS_CERT_FILE: good.certFile });
    assert.ok(missing.has('server.tls.key_file'), JSON.stringify([...missing]));
  });
});
