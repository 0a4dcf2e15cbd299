/**
 * The responder's outward connections are checked when the configuration loads: CIDRs of `responder.http`, the SMTP
 * relay, and `responder.kube` (a server without credentials is an error, never a fallback to KUBECONFIG). Every
 * problem is reported with its path, all in one go.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '@bulwark/config';

const dir = mkdtempSync(join(tmpdir(), 'bwk-cfg-responder-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'a-token\n');

function withResponder(yaml: string): NodeJS.ProcessEnv {
  const file = join(mkdtempSync(join(dir, 'c-')), 'bulwark.yaml');
  writeFileSync(file, `responder:\n${yaml}`);
  return { BULWARK_CONFIG: file };
}

function problems(yaml: string): Map<string, string> {
  try {
    loadConfig(withResponder(yaml));
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return new Map(err.problems.map((p) => [p.path, p.message]));
  }
  assert.fail('expected a ConfigError');
}

const load = (yaml: string): Config => loadConfig(withResponder(yaml));

describe('config: responder.http.allow_cidrs', () => {
  it('accepts IPv4 and IPv6 CIDRs', () => {
    const cfg = load("  http: { allow_cidrs: ['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8', '::1/128', '0.0.0.0/0'] }\n");
    assert.deepEqual(cfg.responder.http.allow_cidrs, ['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8', '::1/128', '0.0.0.0/0']);
  });

  it('names every bad entry by its index: no prefix, a prefix too long for the family, not an address', () => {
    const found = problems("  http: { allow_cidrs: ['10.0.0.0/8', '10.1.2.3', '10.0.0.0/33', 'fd00::/129', 'example.com/24', '999.0.0.0/8'] }\n");
    assert.deepEqual([...found.keys()], [
      'responder.http.allow_cidrs.1',
      'responder.http.allow_cidrs.2',
      'responder.http.allow_cidrs.3',
      'responder.http.allow_cidrs.4',
      'responder.http.allow_cidrs.5',
    ]);
    assert.match(found.get('responder.http.allow_cidrs.2')!, /IPv4 prefix is at most \/32/);
    assert.match(found.get('responder.http.allow_cidrs.3')!, /IPv6 prefix is at most \/128/);
    assert.match(found.get('responder.http.allow_cidrs.1')!, /not a CIDR/);
  });

  it('refuses forms a lenient parser would read as another range (octal octets, short IPv4, zones)', () => {
    const found = problems("  http: { allow_cidrs: ['010.0.0.0/8', '10/8', '0xa.0.0.0/8', 'fe80::1%eth0/64', '192.168.0.0/16'] }\n");
    assert.deepEqual([...found.keys()], [0, 1, 2, 3].map((i) => `responder.http.allow_cidrs.${i}`));
    for (const message of found.values()) assert.match(message, /is not a CIDR such as 10.0.0.0\/8/);
  });
});

describe('config: responder.smtp', () => {
  const good = "host: smtp.example.com, port: 587, require_tls: true, user: bulwark, password_ref: 'env:SMTP_PASSWORD'";

  it('accepts a STARTTLS relay with a user and a named sender', () => {
    const cfg = load(`  smtp: { ${good}, from: 'Bulwark <bulwark@example.com>' }\n`);
    assert.equal(cfg.responder.smtp?.host, 'smtp.example.com');
    assert.equal(cfg.responder.smtp?.from, 'Bulwark <bulwark@example.com>');
    assert.equal(load("  smtp: { host: '10.0.0.25', port: 465, secure: true, from: bulwark@example.com }\n").responder.smtp?.secure, true);
  });

  it('refuses a host with a scheme or port, and a sender that is not a mail address', () => {
    const found = problems("  smtp: { host: 'smtp://mail.example.com:25', from: 'bulwark at example.com' }\n");
    assert.match(found.get('responder.smtp.host')!, /not a host name or IP address/);
    assert.match(found.get('responder.smtp.from')!, /not a mail address/);
    assert.ok(problems("  smtp: { host: mail, from: 'Bulwark <bulwark@>' }\n").has('responder.smtp.from'));
  });

  it('refuses secure together with require_tls, and TLS modes that do not fit the port', () => {
    assert.match(problems('  smtp: { host: mail, port: 465, secure: true, require_tls: true, from: a@b.c }\n').get('responder.smtp.require_tls')!, /STARTTLS only/);
    assert.match(problems('  smtp: { host: mail, port: 587, secure: true, from: a@b.c }\n').get('responder.smtp.secure')!, /port 587 speaks plain SMTP/);
    assert.match(problems('  smtp: { host: mail, port: 465, from: a@b.c }\n').get('responder.smtp.secure')!, /port 465 expects TLS/);
  });

  it('needs user and password_ref together, the reference in env:NAME or file:/path form', () => {
    assert.match(problems('  smtp: { host: mail, user: bulwark, from: a@b.c }\n').get('responder.smtp.password_ref')!, /required with smtp.user/);
    assert.match(problems("  smtp: { host: mail, password_ref: 'env:P', from: a@b.c }\n").get('responder.smtp.user')!, /required with smtp.password_ref/);
    assert.match(problems("  smtp: { host: mail, user: u, password_ref: 'hunter2', from: a@b.c }\n").get('responder.smtp.password_ref')!, /env:NAME or file/);
  });

  it('lists every SMTP problem at once', () => {
    const found = problems("  smtp: { host: 'a b', port: 70000, user: u, password_ref: 'x', from: nobody, ca_file: /nonexistent/ca.pem }\n");
    for (const path of ['host', 'port', 'password_ref', 'from', 'ca_file']) assert.ok(found.has(`responder.smtp.${path}`), `${path} in ${[...found.keys()]}`);
  });
});

describe('config: responder.kube', () => {
  it('is an error to give a server without a token file: no silent fallback to KUBECONFIG', () => {
    const found = problems("  kube: { server: 'https://kube.example.com:6443' }\n");
    assert.deepEqual([...found.keys()], ['responder.kube.token_file']);
    assert.match(found.get('responder.kube.token_file')!, /required with server/);
  });

  it('is an error to give credentials without a server, a token file that does not exist, or a plain-http server', () => {
    assert.ok(problems(`  kube: { token_file: '${tokenFile}' }\n`).has('responder.kube.server'));
    assert.match(problems("  kube: { server: 'https://k:6443', token_file: /nonexistent/token }\n").get('responder.kube.token_file')!, /no such token file/);
    assert.match(problems(`  kube: { server: 'http://k:6443', token_file: '${tokenFile}' }\n`).get('responder.kube.server')!, /https/);
  });

  it('accepts a server with its token file', () => {
    const cfg = load(`  kube: { server: 'https://kube.example.com:6443', token_file: '${tokenFile}' }\n`);
    assert.deepEqual(cfg.responder.kube, { server: 'https://kube.example.com:6443', token_file: tokenFile });
  });
});
