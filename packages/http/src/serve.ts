/**
 * The `main` of every service: load config (exit 2 listing every problem), open the runtime, print a minted admin
 * token once, listen, and shut down cleanly on SIGTERM/SIGINT (stop accepting, finish in-flight requests, close stores).
 */
import type { Server } from 'node:http';
import type { Express } from 'express';
import { ConfigError, loadConfig, type Config } from '@bulwark/config';
import { openRuntime, type RuntimeNeeds, type ServiceDeps } from './runtime.js';
import { answerClientErrors } from './client-errors.js';
import { handOverInitialToken } from './initial-token.js';

/**
 * `build` may be async (the correlator loads its rules and subscribes before the process reports itself listening); if
 * it fails, the stores are closed and the process exits 1 with the reason logged.
 */
export async function serve(
  name: string,
  build: (deps: ServiceDeps) => Express | Promise<Express>,
  needs: RuntimeNeeds | ((config: Config) => RuntimeNeeds) = {},
): Promise<Server> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`bulwark ${name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { deps, mintedAdminToken } = await openRuntime(config, undefined, typeof needs === 'function' ? needs(config) : needs);
  // Shown once on a terminal, else written to a 0600 file: stdout is a log stream that may be shipped and searched.
  if (mintedAdminToken) handOverInitialToken(mintedAdminToken, config.data_dir, deps.logger);
  let app: Express;
  try {
    app = await build(deps);
  } catch (err) {
    deps.logger.fatal({ err }, `bulwark ${name} could not start`);
    await deps.close().catch(() => {});
    process.exit(1);
  }
  const server = app.listen(config.server.port, config.server.host);
  // An over-long URL or header section is answered 414/431 as catalogue JSON, not with Node's bare status line.
  answerClientErrors(server);
  // Shippers hold connections open between batches; keep idle ones longer than common load balancers (60 s) so the
  // server is never the side that closes a connection a client is about to reuse.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  deps.logger.info({ port, data_dir: config.data_dir, store: config.store.type }, `bulwark ${name} listening on :${port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    deps.logger.info({ signal }, 'shutting down');
    server.close(async () => {
      await deps.close();
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return server;
}
