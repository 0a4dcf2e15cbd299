/**
 * HTTPS as Bulwark serves it (`server.tls`): modern protocol versions and ciphers only, no renegotiation, client
 * certificates asked for when a CA is configured, and the certificate and key reloaded when their files change.
 *
 * Client certificates are requested but not required at the handshake (`rejectUnauthorized: false`): a sender with a
 * bearer token and no certificate must still connect. Whether a presented certificate chained to the CA is the
 * socket's `authorized` flag, which the authenticator checks before a certificate may stand for anyone (auth.ts).
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { constants, createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { readTlsFiles, type TlsFiles, type TlsSettings } from '@bulwark/config';

/**
 * TLS 1.2 suites of Mozilla's "intermediate" profile: ECDHE key exchange and AEAD ciphers only (no CBC, no RSA key
 * exchange, no DHE). TLS 1.3's suites are all AEAD and stay at OpenSSL's defaults.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** The parts of every secure context: versions, ciphers, and renegotiation refused outright (OpenSSL's option). */
function secureContextOptions(files: TlsFiles): SecureContextOptions {
  return {
    cert: files.cert,
    key: files.key,
    ...(files.ca ? { ca: files.ca } : {}),
    minVersion: 'TLSv1.2',
    ciphers: TLS12_CIPHERS,
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}

/** An HTTPS server for `app` from files already checked by the configuration (`readTlsFiles`). */
export function createTlsServer(app: Express, files: TlsFiles): Server {
  return createServer({ ...secureContextOptions(files), requestCert: files.ca !== undefined, rejectUnauthorized: false }, app);
}

/** How long to let a rotation settle (certificate and key are written one after the other) before reading them. */
const SETTLE_MS = 250;
/** A re-read regardless of events, for file systems where watching tells nothing (some network and overlay mounts). */
const POLL_MS = 60_000;

/**
 * Watches the directories of the certificate, key and CA files — a Kubernetes secret volume swaps a `..data` symlink
 * in that directory rather than writing the files, which a watch on the file itself never sees — and installs the new
 * pair with `setSecureContext` when the contents change. A pair that does not load (half written, a key of another
 * certificate) is logged and the server keeps its current context. Returns the stop function.
 */
export function reloadOnChange(server: Server, settings: TlsSettings, initial: TlsFiles, logger?: Logger): () => void {
  let current = fingerprint(initial);
  let timer: NodeJS.Timeout | null = null;
  const reload = () => {
    timer = null;
    const { files, problems } = readTlsFiles(settings);
    if (!files) {
      logger?.error({ problems: problems.map((p) => `server.tls.${p.field}: ${p.message}`) }, 'TLS files changed but do not load; still serving the previous certificate');
      return;
    }
    const next = fingerprint(files);
    if (next === current) return;
    try {
      server.setSecureContext(secureContextOptions(files));
    } catch (err) {
      logger?.error({ err }, 'TLS files changed but were refused; still serving the previous certificate');
      return;
    }
    current = next;
    logger?.info({ cert_file: settings.cert_file }, 'TLS certificate reloaded');
  };
  const schedule = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, SETTLE_MS);
    timer.unref();
  };
  const files = [settings.cert_file, settings.key_file, ...(settings.client_ca_file ? [settings.client_ca_file] : [])];
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(files.map((f) => dirname(f)))) {
    try {
      const watcher = watch(dir, { persistent: false }, schedule);
      watcher.on('error', (err) => logger?.warn({ err, dir }, 'cannot watch the TLS files; they are re-read every minute'));
      watchers.push(watcher);
    } catch (err) {
      logger?.warn({ err, dir }, 'cannot watch the TLS files; they are re-read every minute');
    }
  }
  const poll = setInterval(schedule, POLL_MS);
  poll.unref();
  return () => {
    for (const w of watchers) w.close();
    clearInterval(poll);
    if (timer) clearTimeout(timer);
  };
}

function fingerprint(files: TlsFiles): string {
  const hash = createHash('sha256');
  for (const part of [files.cert, files.key, files.ca ?? Buffer.alloc(0)]) hash.update(createHash('sha256').update(part).digest());
  return hash.digest('hex');
}
