/**
 * The `main` of every service process: load config (exit 2 listing every problem), open the core, hand over a minted
 * admin token once, run the process's root, listen, and shut down cleanly on SIGTERM/SIGINT within
 * `server.shutdown_timeout` (shutdown.ts: not ready, stop accepting, finish in-flight requests, release everything
 * the root opened, last first; exit 0, or 1 naming what still ran).
 */
import type { Server } from 'node:http';
import type { Express } from 'express';
import { ConfigError, loadConfig, type Config } from '@bulwark/config';
import { listen, plainServerOf } from '@bulwark/http';
import { openCore, type Core } from './compose.js';
import { handOverInitialToken } from './initial-token.js';
import { createLifetime } from './lifetime.js';
import { createLogger } from './logger.js';
import { shutDown, trackInFlight } from './shutdown.js';

/** A process's root: composes its services on the core and returns the app to serve. May be async (rules load). */
export type Root = (core: Core) => Express | Promise<Express>;

function configOrExit(name: string): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`bulwark ${name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/** If the root fails (a rule or playbook that does not load, a store that does not answer), exits 1 with the reason. */
export async function runService(name: string, root: Root): Promise<Server> {
  const config = configOrExit(name);
  const logger = createLogger(config);
  const lifetime = createLifetime(logger);
  let app: Express;
  let core: Core;
  try {
    core = await openCore(config, logger, lifetime);
    // Shown once on a terminal, else written to a 0600 file: stdout is a log stream that may be shipped and searched.
    if (core.mintedAdminToken) handOverInitialToken(core.mintedAdminToken, config.data_dir, logger);
    app = await root(core);
  } catch (err) {
    logger.fatal({ err }, `bulwark ${name} could not start`);
    await lifetime.close().catch(() => {});
    process.exit(1);
  }
  let server: Server;
  try {
    server = await listen(app, config.server, logger);
  } catch (err) {
    // The address is taken, or the TLS files changed since the configuration was checked.
    logger.fatal({ err }, `bulwark ${name} could not listen`);
    await lifetime.close().catch(() => {});
    process.exit(1);
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  logger.info({ port, data_dir: config.data_dir, store: config.store.type }, `bulwark ${name} listening on :${port}`);

  const plain = plainServerOf(server);
  const inFlight = trackInFlight(plain ? [server, plain] : server);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second signal (Ctrl-C twice): the person wants it gone now.
      logger.warn({ signal, still_running: { requests: inFlight.requests(), releasing: core.lifetime.pending() } }, 'second signal: exiting without finishing the shutdown');
      process.exit(1);
    }
    stopping = true;
    const parts = { name, server, inFlight, lifetime: core.lifetime, readiness: core.readiness, logger,
      timeoutMs: config.server.shutdown_timeout,
      delayMs: signal === 'SIGTERM' ? Math.min(config.server.shutdown_delay, config.server.shutdown_timeout) : 0,
    };
    void shutDown(parts, signal).then((code) => process.exit(code));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return server;
}
