// services: k8s process
/**
 * The real test kube-apiserver delivers its audit events straight to `npm start` serving TLS itself (`server.tls` with
 * test/services/k8s.sh's certificate on KUBE_AUDIT_PORT, no terminator in front), authenticated two ways:
 *
 * - by the webhook's bearer token (KUBE_AUDIT_TOKEN, in the process's token store before it starts, as a token minted
 *   earlier would be): the events' provenance names that token, proved by its secret;
 * - by the webhook's client certificate alone (CN KUBE_AUDIT_CLIENT_CN, signed by KUBE_AUDIT_CLIENT_CA; mTLS with
 *   `client_ca_file`): this process knows no token for the webhook's secret — the same secret is refused over the
 *   same TLS port — only a token bound to the certificate's CN through `POST /v1/tokens`; the events' provenance
 *   names that token and `credential: client-certificate`.
 *
 * client-go presents the kubeconfig's token and certificate together, so the second case is also the documented rule
 * that a certificate authenticates when the bearer token is unknown.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { KubeClients } from '@bulwark/actions';
import { mintToken } from '@bulwark/http';
import { SqliteTokenStore } from '@bulwark/store';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { ATTACKER, kubeConfigFor, kubeEnv } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { tlsRequest } from '../support/tls-client.js';
import { until } from '../support/until.js';

type AuditHit = { kubernetes?: { audit?: { verb?: string; objectRef?: { resource?: string; namespace?: string } } }; bulwark?: { provenance?: { source: string; route: string; token: { id: string; name: string; credential?: string } } } };

/** `npm start` serving HTTPS on the webhook's port, plain HTTP beside it for the test's own calls. */
function startOnAuditPort(dir: string, tlsYaml: string): Promise<BulwarkProcess> {
  return startBulwark({
    dir,
    env: { BULWARK_PORT: kubeEnv('KUBE_AUDIT_PORT') },
    configYaml: ['server:', `  tls: { cert_file: '${kubeEnv('KUBE_AUDIT_TLS_CERT')}', key_file: '${kubeEnv('KUBE_AUDIT_TLS_KEY')}', http_port: 0${tlsYaml} }`, ''].join('\n'),
    retryBusyPortMs: 60_000,
  });
}

describe('the real API server audits into npm start over its own TLS', () => {
  const ns = `tls-${randomBytes(3).toString('hex')}`;
  let admin: KubeClients;
  let p: BulwarkProcess | undefined;
  const dirs: string[] = [];
  const attackerCore = () => kubeConfigFor(kubeEnv('KUBE_ATTACKER_TOKEN')).makeApiClient(k8s.CoreV1Api);

  /** The attacker lists secrets in the test's namespace; resolves with that audit event once searchable. */
  async function auditedSecretList(reader: string): Promise<AuditHit> {
    await attackerCore().listNamespacedSecret({ namespace: ns });
    return until('the audit event of the secrets list, delivered over TLS', async () => {
      const params = new URLSearchParams({ q: `user.name:"${ATTACKER}"`, size: '1000' });
      const hits = (await p!.get<{ hits: AuditHit[] }>(`/v1/search?${params}`, reader)).hits;
      return hits.find((e) => e.kubernetes?.audit?.verb === 'list' && e.kubernetes.audit.objectRef?.resource === 'secrets' && e.kubernetes.audit.objectRef.namespace === ns);
    }, 45_000, 250);
  }

  before(async () => {
    ({ admin } = await testKube(ns));
  });
  after(async () => {
    await p?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
  });

  it("authenticated by the webhook's bearer token", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-tls-token-'));
    dirs.push(dir);
    const tokens = new SqliteTokenStore({ path: join(dir, 'bulwark.db') });
    await tokens.init();
    await tokens.put(mintToken('kube-apiserver', ['ingest'], kubeEnv('KUBE_AUDIT_TOKEN'), ['k8s-audit']).stored);
    await tokens.close();
    p = await startOnAuditPort(dir, '');
    assert.equal(p.tlsPort, Number(kubeEnv('KUBE_AUDIT_PORT')), 'npm start serves HTTPS on the webhook port itself');
    const reader = (await p.mint('dashboard', ['read'])).token;

    const event = await auditedSecretList(reader);
    assert.equal(event.bulwark?.provenance?.source, 'k8s-audit');
    assert.equal(event.bulwark?.provenance?.route, '/v1/ingest/k8s-audit');
    assert.equal(event.bulwark?.provenance?.token.name, 'kube-apiserver');
    assert.equal(event.bulwark?.provenance?.token.credential, undefined, 'proved by the token secret');
    await p.stop();
    p = undefined;
  });

  it('authenticated by the webhook\'s client certificate alone (mTLS), its token unknown here', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-tls-mtls-'));
    dirs.push(dir);
    p = await startOnAuditPort(dir, `, client_ca_file: '${kubeEnv('KUBE_AUDIT_CLIENT_CA')}'`);
    const reader = (await p.mint('dashboard', ['read'])).token;
    const bound = await p.mint('kube-apiserver-mtls', ['ingest'], { sources: ['k8s-audit'], client_cert: { subject_cn: kubeEnv('KUBE_AUDIT_CLIENT_CN') } });

    // The webhook's secret means nothing to this process: refused on the very port the API server posts to.
    const bearerOnly = await tlsRequest(p.tlsPort!, '/v1/ingest/k8s-audit', {
      method: 'POST',
      ca: readFileSync(kubeEnv('KUBE_AUDIT_TLS_CERT'), 'utf8'),
      headers: { authorization: `Bearer ${kubeEnv('KUBE_AUDIT_TOKEN')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [] }),
    });
    assert.equal(bearerOnly.status, 401, `the webhook's token alone is refused: ${bearerOnly.body}`);

    const event = await auditedSecretList(reader);
    assert.equal(event.bulwark?.provenance?.source, 'k8s-audit');
    assert.deepEqual(event.bulwark?.provenance?.token, { id: bound.id, name: 'kube-apiserver-mtls', credential: 'client-certificate' });
    assert.match(p.output(), /client certificate authenticated as a token/, 'the process logs who authenticated how');
  });
});

