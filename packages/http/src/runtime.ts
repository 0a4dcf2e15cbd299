/**
 * Start-up wiring shared by every service: logger, store adapter (chosen once, from config), token store and the
 * bootstrap admin token. Services receive the result as their `deps`; they never construct adapters themselves.
 */
import { mkdirSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import type { Config } from '@bulwark/config';
import { BulwarkError } from '@bulwark/schema';
import type { CaseStore, LogStore, TokenStore } from '@bulwark/store';
import type { Bus, JobQueue } from '@bulwark/bus';
import { openBus, openResponderQueue, type ResponderJob } from './bus.js';
import { openCaseStore, openLogStore, openTokenStore } from './stores.js';
import { Authenticator, mintToken, tokenIdOf } from './auth.js';

export interface ServiceDeps {
  config: Config;
  store: LogStore;
  /** Alerts, incidents, playbook runs and the audit trail. */
  cases: CaseStore;
  tokens: TokenStore;
  /**
   * Where stored batches go for detection (`needs.bus`): BullMQ in scale mode, the store's outbox cursor in embedded
   * mode. Null in a service that neither publishes nor consumes.
   */
  bus: Bus | null;
  auth: Authenticator;
  logger: Logger;
  /**
   * Where recorded alerts are announced for the responder: its BullMQ queue in scale mode; set by the process that
   * runs the responder in embedded mode. Null: nobody responds (the responder rescans recent alerts at start).
   */
  alertRecorded: ((notice: { alertId: string; incidentId: string | null; outcome: string }) => Promise<void>) | null;
  /**
   * The counters of the correlator running in this process (batches, events, alerts, failures, dead-lettered,
   * retried), set by whoever starts it; absent where no correlator runs (`GET /v1/correlator/status` then says so).
   */
  correlatorStatus?: () => Promise<Record<string, unknown>>;
  /** Registers a resource (a thread pool, a connection) to release on shutdown, before the stores close. */
  onClose(release: () => Promise<void>): void;
  /** Releases registered resources, then closes the stores. Idempotent. */
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.log.level,
    base: { service: 'bulwark' },
    // Credentials must never reach a log line.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.api_key', '*.token', '*.secret'], censor: '[redacted]' },
  });
}

/**
 * Ensures an admin token exists: installs the configured bootstrap token, or, when the store holds no token at all,
 * mints one and returns its secret so the caller can print it once.
 */
export async function bootstrapAdminToken(tokens: TokenStore, configured: string | undefined, logger?: Logger): Promise<string | null> {
  if (configured) {
    const existing = await tokens.getById(tokenIdOf(configured));
    // A revoked bootstrap token stays revoked: revoking it is how an operator retires a leaked one, and the same
    // secret still sitting in an env file or manifest must not bring it back at the next start.
    if (existing?.revokedAt) {
      logger?.warn({ token: existing.id }, 'the configured bootstrap token was revoked and is not installed again; configure a new secret or remove it');
    } else if (!existing) {
      await tokens.put(mintToken('bootstrap-admin', ['admin'], configured).stored);
    }
    return null;
  }
  if ((await tokens.count()) > 0) return null;
  const { secret, stored } = mintToken('initial-admin', ['admin']);
  await tokens.put(stored);
  return secret;
}

/**
 * Tokens minted before sources existed (or put in the store by hand) may send with `ingest` for every source kind: a
 * shipper's such token can forge audit-webhook or Falco evidence, which may start containment. Said once at start,
 * naming them, so an operator re-mints them with `sources`.
 */
export async function warnUnrestrictedSenders(tokens: TokenStore, logger: Logger): Promise<void> {
  const open = (await tokens.list()).filter((t) => !t.revokedAt && t.scopes.includes('ingest') && !t.scopes.includes('admin') && t.sources == null);
  if (open.length === 0) return;
  logger.warn(
    { tokens: open.map((t) => ({ id: t.id, name: t.name })) },
    'ingest tokens without sources may speak for every source, including k8s-audit and falco, whose evidence can start containment: mint replacements with sources and revoke these',
  );
}

/** What a service needs opened beyond the log and token stores. */
export interface RuntimeNeeds {
  /** The case store (alerts, incidents); the collector alone does without it. Default true. */
  cases?: boolean;
  /** The bus (the collector publishes to it, the correlator consumes it). Default false. */
  bus?: boolean;
}

/**
 * Stands in for the case store in a service that never uses it, so that service does not open (in scale mode: create
 * indices in) a store it has no use for.
 */
function caseStoreNotOpened(): CaseStore {
  const refuse = async (): Promise<never> => {
    throw new BulwarkError('BWK_INTERNAL', 'this service runs without the case store');
  };
  return {
    init: async () => {},
    create: refuse,
    get: refuse,
    update: refuse,
    delete: refuse,
    append: refuse,
    query: refuse,
    ping: async () => false,
    close: async () => {},
  };
}

/** Opens the configured stores and returns the deps every service takes, plus a secret to print if one was minted. */
export async function openRuntime(
  config: Config,
  logger = createLogger(config),
  needs: RuntimeNeeds = {},
): Promise<{ deps: ServiceDeps; mintedAdminToken: string | null }> {
  mkdirSync(config.data_dir, { recursive: true });
  const store = await openLogStore(config, (line, details) => logger.info(details, line));
  const cases = needs.cases === false ? caseStoreNotOpened() : await openCaseStore(config);
  const tokens = await openTokenStore(config);
  const minted = await bootstrapAdminToken(tokens, config.auth.bootstrap_token, logger);
  await warnUnrestrictedSenders(tokens, logger).catch((err: unknown) => logger.warn({ err }, 'could not list tokens to check their sources'));
  const bus = needs.bus ? openBus(config, logger) : null;
  // Scale mode with responders (`responder.enabled`, the default): recorded alerts are announced on their queue. A
  // deployment without responders sets it off, so no notice waits in Redis for a consumer that never comes.
  const alertQueue = config.bus.redis_url && config.responder.enabled ? lazyAlertQueue(config, logger) : null;
  const releases: Array<() => Promise<void>> = [];
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      for (const release of releases.reverse()) await release().catch((err: unknown) => logger.warn({ err }, 'release failed'));
      await bus?.close().catch((err: unknown) => logger.warn({ err }, 'closing the bus failed'));
      await alertQueue?.close().catch((err: unknown) => logger.warn({ err }, 'closing the responder queue failed'));
      await store.close();
      await cases.close();
      await tokens.close();
    })());
  const deps: ServiceDeps = {
    config,
    store,
    cases,
    tokens,
    bus,
    auth: new Authenticator(tokens),
    logger,
    alertRecorded: alertQueue ? (notice) => alertQueue.add(notice) : null,
    onClose: (release) => void releases.push(release),
    close,
  };
  return { deps, mintedAdminToken: minted };
}

/**
 * Scale mode: recorded alerts go to the responders' BullMQ queue. Opened on the first alert, so services that never
 * record one (the collector) hold no connection for it.
 */
function lazyAlertQueue(config: Config, logger: Logger) {
  let queue: JobQueue<ResponderJob> | null = null;
  return {
    /**
     * Bounded like the bus's publish: when Redis does not take the notice within 3 s, the recording answers 503
     * BWK_BUS_UNAVAILABLE (the alert is stored; the sender's retry is recognised as a duplicate and announced again).
     */
    add: async (notice: { alertId: string; incidentId: string | null }) => {
      queue ??= openResponderQueue(config, logger);
      const added = queue.add({ kind: 'alert', alertId: notice.alertId, incidentId: notice.incidentId });
      added.catch(() => {});
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          added,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('Redis did not take the notice within 3000 ms')), 3000);
          }),
        ]);
      } catch (err) {
        logger.warn({ err, alert: notice.alertId }, 'could not announce the alert to the responders');
        throw new BulwarkError('BWK_BUS_UNAVAILABLE', 'the alert was stored but could not be handed to the responders; retry later', { alert: notice.alertId });
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => queue?.close(),
  };
}
