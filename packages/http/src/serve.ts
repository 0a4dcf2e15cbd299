/**
 * Listening, apart from building (`buildApp(deps)` never listens): every Bulwark service serves its app through this,
 * so each answers malformed requests the same way, keeps idle connections the same time and serves TLS the same way.
 */
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { ConfigError, readTlsFiles, type TlsSettings } from '@bulwark/config';
import { answerClientErrors } from './client-errors.js';
import { createTlsServer, reloadOnChange } from './tls-server.js';

/** Where and how to serve: `server` of the configuration. */
export interface ServeSettings {
  port: number;
  host: string;
  /** HTTPS on `port` (see `server.tls`), plain HTTP beside it on `tls.http_port` when set. */
  tls?: TlsSettings | undefined;
}

function prepare<S extends Server>(server: S): S {
  // An over-long URL or header section is answered 414/431 as catalogue JSON, not with Node's bare status line.
  answerClientErrors(server);
  // Shippers hold connections open between batches; keep idle ones longer than common load balancers (60 s) so the
  // server is never the side that closes a connection a client is about to reuse.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

async function bind(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
    server.listen(port, host);
  });
}

/**
 * Listens on `port` (0: any free one) and `host`; resolves once bound, rejects when an address cannot be bound.
 * With `tls`, `port` serves HTTPS and the certificate is reloaded when its files change; with `tls.http_port` a
 * second, plain HTTP server serves the same app there. The returned server stands for both: closing it (or its
 * idle or all connections) does the same to the plain one, and its close callback runs once both are closed.
 */
export async function listen(app: Express, settings: ServeSettings, logger?: Logger): Promise<Server> {
  if (!settings.tls) {
    const server = prepare(createServer(app));
    await bind(server, settings.port, settings.host);
    return server;
  }
  const tls = settings.tls;
  // Checked when the configuration loaded; read again here, as the files may have changed since.
  const { files, problems } = readTlsFiles(tls);
  if (!files) {
    throw new ConfigError(problems.map((p) => ({ path: `server.tls.${p.field}`, message: p.message, source: tls[p.field] ?? p.field })));
  }
  const secure = prepare(createTlsServer(app, files));
  await bind(secure, settings.port, settings.host);
  const stopWatching = reloadOnChange(secure, tls, files, logger);
  let plain: Server | null = null;
  if (tls.http_port !== undefined) {
    plain = prepare(createServer(app));
    try {
      await bind(plain, tls.http_port, settings.host);
    } catch (err) {
      stopWatching();
      secure.close();
      throw err;
    }
    const address = plain.address();
    logger?.info({ http_port: typeof address === 'object' && address ? address.port : tls.http_port }, 'also serving plain HTTP');
  }
  tieLifetimes(secure, plain, stopWatching);
  if (plain) plainServers.set(secure, plain);
  return secure;
}

/** The plain server and the reload watch end with the TLS server (see `listen`). */
function tieLifetimes(secure: Server, plain: Server | null, stopWatching: () => void): void {
  const close = secure.close.bind(secure);
  const closeIdle = secure.closeIdleConnections.bind(secure);
  const closeAll = secure.closeAllConnections.bind(secure);
  secure.close = (callback?: (err?: Error) => void) => {
    stopWatching();
    const plainClosed = new Promise<void>((resolve) => (plain?.listening ? plain.close(() => resolve()) : resolve()));
    close((err?: Error) => void plainClosed.then(() => callback?.(err)));
    return secure;
  };
  secure.closeIdleConnections = () => {
    closeIdle();
    plain?.closeIdleConnections();
  };
  secure.closeAllConnections = () => {
    closeAll();
    plain?.closeAllConnections();
  };
}

/** The plain HTTP servers beside TLS ones (`server.tls.http_port`), for the callers that need its address. */
const plainServers = new WeakMap<Server, Server>();

/** The plain HTTP server `listen` started beside `server`, if any. */
export function plainServerOf(server: Server): Server | null {
  return plainServers.get(server) ?? null;
}
