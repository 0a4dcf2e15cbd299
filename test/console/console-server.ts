/**
 * The real `npm start` process the console tests drive, and the people who use it. Started as the end-to-end suites
 * start it (test/support/bulwark-process.ts: the compiled all-in-one with the script's flags, a throwaway data
 * directory); with `webhook` it also takes the test kube-apiserver's audit webhook exactly as
 * test/e2e/npm-start-containment.test.ts does (HTTPS on KUBE_AUDIT_PORT with the script's certificate, the API
 * server's token stored before the start, granted exactly `k8s-audit`), and with `kube` its responder acts on the
 * test API server as the responder identity.
 *
 * People are tokens minted through the real `/v1/tokens` API: a responder (`read` + `respond`: starts and undoes
 * runs), an approver (`read` + `approve`: decides waiting steps, never their own), a reader (`read` only), and a log
 * shipper's `ingest` token.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '@bulwark/http';
import { SqliteTokenStore } from '@bulwark/store';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { kubeEnv } from '../support/kube.js';

export interface Person {
  id: string;
  name: string;
  token: string;
}

export interface People {
  responder: Person;
  approver: Person;
  reader: Person;
  /** A log shipper's token (`ingest`, unrestricted sources: speaks for `logs` through `_bulk`). */
  shipper: string;
}

export interface ConsoleServer {
  p: BulwarkProcess;
  /** Where the browser opens the console: the HTTPS port with `webhook` (the session cookie is then Secure). */
  base: string;
  people: People;
  stop(): Promise<void>;
}

export interface ConsoleServerOptions {
  /** Hold the test API server's audit webhook port: the attacker's real calls arrive here. */
  webhook?: boolean;
  /** The responder acts on the test API server (runs quarantine, scale and undo for real). */
  kube?: boolean;
  /** More settings of the process (BULWARK_* variables), e.g. a short `ingest.stopped_after`. */
  env?: Record<string, string>;
}

export const RESPONDER_NAME = 'responder-rita';
export const APPROVER_NAME = 'approver-amir';
export const READER_NAME = 'reader-rene';

export async function startConsoleServer(options: ConsoleServerOptions = {}): Promise<ConsoleServer> {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-console-'));
  const config: string[] = [];
  const env: Record<string, string> = { ...options.env };
  if (options.webhook) {
    const tokens = new SqliteTokenStore({ path: join(dir, 'bulwark.db') });
    await tokens.init();
    await tokens.put(mintToken('kube-apiserver', ['ingest'], kubeEnv('KUBE_AUDIT_TOKEN'), ['k8s-audit']).stored);
    await tokens.close();
    env.BULWARK_PORT = kubeEnv('KUBE_AUDIT_PORT');
    config.push('server:', `  tls: { cert_file: '${kubeEnv('KUBE_AUDIT_TLS_CERT')}', key_file: '${kubeEnv('KUBE_AUDIT_TLS_KEY')}', http_port: 0 }`);
  }
  if (options.kube) {
    writeFileSync(join(dir, 'kube-token'), kubeEnv('KUBE_RESPONDER_TOKEN'));
    config.push('responder:', `  kube: { server: '${kubeEnv('KUBE_API_URL')}', token_file: '${join(dir, 'kube-token')}', ca_file: '${kubeEnv('KUBE_CA_FILE')}' }`);
  }
  let p: BulwarkProcess;
  try {
    // The webhook's port is one for every suite: another suite may still hold it for a while.
    p = await startBulwark({ dir, env, configYaml: `${config.join('\n')}\n`, retryBusyPortMs: options.webhook ? 180_000 : 0 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const person = async (name: string, scopes: string[]): Promise<Person> => ({ name, ...(await p.mint(name, scopes)) });
  const people: People = {
    responder: await person(RESPONDER_NAME, ['read', 'respond']),
    approver: await person(APPROVER_NAME, ['read', 'approve']),
    reader: await person(READER_NAME, ['read']),
    shipper: (await p.mint('log-shipper', ['ingest'])).token,
  };
  return {
    p,
    base: p.tlsPort ? `https://127.0.0.1:${p.tlsPort}` : p.url,
    people,
    async stop() {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
