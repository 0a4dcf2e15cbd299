/**
 * `npm start` as the test API server's audit webhook target and its responder: on `KUBE_AUDIT_PORT`, serving HTTPS
 * itself (client-go sends its webhook token only over TLS) with plain HTTP beside it for the test's own calls; the API
 * server's token already in the token store (as one minted earlier would be), granted exactly `k8s-audit`; the
 * responder acting as the test responder identity. No bus.redis_url: the embedded mode, as `npm start` runs by default.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '@bulwark/http';
import { SqliteTokenStore } from '@bulwark/store';
import { startBulwark, type BulwarkProcess } from './bulwark-process.js';
import { kubeEnv } from './kube.js';

/** The process and its data directory (the caller removes it after `stop`); `extraYaml` adds top-level config lines. */
export async function startWebhookBulwark(prefix: string, extraYaml: readonly string[] = []): Promise<{ p: BulwarkProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const tokens = new SqliteTokenStore({ path: join(dir, 'bulwark.db') });
  await tokens.init();
  await tokens.put(mintToken('kube-apiserver', ['ingest'], kubeEnv('KUBE_AUDIT_TOKEN'), ['k8s-audit']).stored);
  await tokens.close();
  writeFileSync(join(dir, 'kube-token'), kubeEnv('KUBE_RESPONDER_TOKEN'));
  const p = await startBulwark({
    dir,
    env: { BULWARK_PORT: kubeEnv('KUBE_AUDIT_PORT') },
    configYaml: [
      'server:',
      `  tls: { cert_file: '${kubeEnv('KUBE_AUDIT_TLS_CERT')}', key_file: '${kubeEnv('KUBE_AUDIT_TLS_KEY')}', http_port: 0 }`,
      'responder:',
      `  kube: { server: '${kubeEnv('KUBE_API_URL')}', token_file: '${join(dir, 'kube-token')}', ca_file: '${kubeEnv('KUBE_CA_FILE')}' }`,
      ...extraYaml,
      '',
    ].join('\n'),
    // Another suite's process may still be releasing the webhook's port.
    retryBusyPortMs: 60_000,
  });
  return { p, dir };
}
