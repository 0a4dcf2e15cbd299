/**
 * The one configuration schema. Every setting has a YAML path and, where it is commonly set from the environment, an
 * env var (see `ENV_VARS`). Unknown keys are rejected so a typo never silently falls back to a default.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { DurationSchema } from './duration.js';
import { HttpSettingsSchema, KubeSettingsSchema, SmtpSettingsSchema } from './responder-settings.js';
import { TlsSettingsSchema } from './tls-settings.js';

/** `ingest.decode_threads: auto`: one decode thread per core, at most four; inline on a single core. */
export function autoDecodeThreads(cores: number): number {
  return cores < 2 ? 0 : Math.min(4, cores);
}

export { DurationSchema } from './duration.js';
export { cidrProblem } from '@bulwark/schema';
export { mailboxProblem } from './responder-settings.js';

const port = z.coerce.number().int().min(0).max(65535);
const bytes = z.coerce.number().int().min(1024, 'must be at least 1024 bytes');

/** Namespaces no playbook may act on, whatever the configuration says (`responder.protected_namespaces` adds to them). */
export const ALWAYS_PROTECTED_NAMESPACES = ['kube-system', 'bulwark'] as const;

export const ConfigSchema = z.strictObject({
  server: z
    .strictObject({
      port: port.default(8080),
      host: z.string().min(1).default('0.0.0.0'),
      /** Serve HTTPS on `port` (certificate and key reloaded when they change), optionally mTLS and plain HTTP beside. */
      tls: TlsSettingsSchema.optional(),
      /**
       * How long a SIGTERM may take to drain (in-flight requests, the batch in hand, the current playbook step) before
       * the process exits 1 naming what still ran: under Kubernetes' default 30 s grace period, so Bulwark ends itself.
       */
      shutdown_timeout: DurationSchema.default(25_000),
      /**
       * After a SIGTERM, how long `/readyz` answers 503 while requests are still taken, before the listener closes: a
       * load balancer (or Kubernetes removing the pod's endpoint) stops routing here first. Part of shutdown_timeout.
       */
      shutdown_delay: DurationSchema.default(2_000),
    })
    .prefault({})
    .superRefine((server, ctx) => {
      if (server.tls?.http_port !== undefined && server.tls.http_port !== 0 && server.tls.http_port === server.port) {
        ctx.addIssue({ code: 'custom', path: ['tls', 'http_port'], message: `must differ from server.port (${server.port}), which serves HTTPS` });
      }
    }),
  /** Where the embedded store and other local state live. */
  data_dir: z.string().min(1).default('./data'),
  store: z
    .strictObject({
      /** `sqlite` (embedded, the default) or a search engine for scale mode. */
      type: z.enum(['sqlite', 'opensearch', 'elasticsearch']).default('sqlite'),
      /** SQLite `synchronous`: FULL survives power loss, NORMAL only process crashes. */
      synchronous: z.enum(['FULL', 'NORMAL']).default('FULL'),
      /** `thread` writes on a worker thread so decoding and inserting overlap; `inline` writes on the main thread. */
      writer: z.enum(['thread', 'inline']).default('thread'),
      /** Search engine node URL(s), comma-separated; required unless `type` is `sqlite`. */
      url: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      /** Elasticsearch/OpenSearch API key (the base64 `encoded` form). */
      api_key: z.string().optional(),
      /** PEM file of the CA that signed the engine's certificate. */
      ca_file: z.string().optional(),
      /** Prefix of Bulwark's index, template and data stream names, so several deployments can share a cluster. */
      prefix: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,40}$/, 'lowercase letters, digits, - and _').default('bulwark'),
      /**
       * `false`: an ingest request is acknowledged once its events are durable (the engine's translog) and they become
       * searchable within `refresh_interval`, as in Elasticsearch itself; `wait_for`: acknowledged once searchable
       * (read-your-writes, at a large cost in throughput).
       */
      refresh: z.enum(['false', 'wait_for']).default('false'),
      /** How often the engine makes new events searchable. */
      refresh_interval: z.string().regex(/^\d+(ms|s|m)$/, 'a duration such as 500ms or 1s').default('1s'),
      /**
       * Delete logs older than this many days: whole blocks in the embedded store; on engines their lifecycle where
       * available, else Bulwark's own job.
       */
      retention_days: z.coerce.number().positive().optional(),
      /**
       * Embedded store only: drop the oldest blocks while the database file's pages in use exceed this many bytes
       * (events, cases and tokens share the file; only events are dropped).
       */
      retention_max_bytes: z.coerce.number().int().positive().optional(),
    })
    .prefault({})
    .superRefine((store, ctx) => {
      if (store.type === 'sqlite') return;
      if (store.retention_max_bytes !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['retention_max_bytes'], message: 'applies to the embedded store only; engines size their indices by lifecycle policy' });
      }
      if (!store.url) ctx.addIssue({ code: 'custom', path: ['url'], message: `is required when store.type is ${store.type}` });
      else {
        for (const u of store.url.split(',')) {
          if (!/^https?:\/\/[^\s/]+/.test(u.trim())) ctx.addIssue({ code: 'custom', path: ['url'], message: `"${u.trim()}" is not an http(s) URL` });
        }
      }
      if ((store.username === undefined) !== (store.password === undefined)) {
        ctx.addIssue({ code: 'custom', path: [store.username === undefined ? 'username' : 'password'], message: 'username and password go together' });
      }
      if (store.api_key && store.username) ctx.addIssue({ code: 'custom', path: ['api_key'], message: 'use either api_key or username/password' });
      if (store.ca_file && !existsSync(store.ca_file)) ctx.addIssue({ code: 'custom', path: ['ca_file'], message: `no such file: ${store.ca_file}` });
    }),
  auth: z
    .strictObject({
      /** An admin token to install instead of generating one at first start (at least 16 characters). */
      bootstrap_token: z.string().min(16, 'must be at least 16 characters').optional(),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** Largest request body accepted, after decompression; larger answers 413. */
      max_body_bytes: bytes.default(50 * 1024 * 1024),
      /** Records nested deeper than this are refused (per record). */
      max_depth: z.coerce.number().int().min(4).max(512).default(64),
      /**
       * Threads that decode request bodies (and, for the embedded store, build their blocks) beside the HTTP thread;
       * 0 decodes inline. `auto`: one per core, at most four, none on a single core. Decoding and building blocks is
       * most of ingest's CPU, and the HTTP thread and the writer need little once it moves off them (bench/RESULTS.md,
       * "ingest path").
       */
      decode_threads: z
        .union([z.literal('auto'), z.coerce.number().int().min(0).max(64)])
        .default('auto')
        .transform((v) => (v === 'auto' ? autoDecodeThreads(availableParallelism()) : v)),
      /** Keep the raw record text in `event.original`. */
      keep_original: z.stringbool().or(z.boolean()).default(false),
      /**
       * `GET /v1/sources` flags a source (route and token) as stopped when it sent events within the last hour but
       * none for this long: a shipper or audit webhook that went quiet.
       */
      stopped_after: DurationSchema.default(5 * 60_000),
      /**
       * Watch the Kubernetes Events (`events.k8s.io/v1`) of a cluster into dataset `kubernetes.events` (README
       * "Kubernetes Events"). `kube`: the API server as for the responder (default KUBECONFIG, ~/.kube/config, then
       * in-cluster); the identity needs `list` and `watch` on `events.events.k8s.io` only.
       */
      kubernetes_events: z
        .strictObject({
          enabled: z.stringbool().or(z.boolean()).default(false),
          /** Recorded on each event (`orchestrator.cluster.name`) and part of its id. */
          cluster: z.string().regex(/^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/, 'a DNS-style name').max(63).default('default'),
          kube: KubeSettingsSchema.optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  bus: z
    .strictObject({
      /**
       * Redis (`redis://` or `rediss://`) for the scale-mode bus (BullMQ) and the shared correlation window state.
       * Required when the store is a search engine; with the SQLite store the bus is the store itself (an outbox cursor).
       */
      redis_url: z
        .string()
        .regex(/^rediss?:\/\/\S+$/, 'a redis:// or rediss:// URL')
        .optional(),
      /** Prefix of every Redis key Bulwark writes (queues, window state), so deployments can share a Redis. */
      prefix: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, _ . and -').default('bulwark'),
      /** Consumer groups every stored batch is published to; the correlator consumes `correlator`. */
      groups: z
        .preprocess((v) => (typeof v === 'string' ? v.split(',').map((g) => g.trim()).filter(Boolean) : v),
          z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _ . and -')).min(1))
        .default(['correlator']),
      /**
       * How long a correlator holds a batch before another may take it over: a batch whose correlator died is
       * redelivered after about this long. Lower it for faster recovery; keep it well above a batch's handling time.
       */
      lock_duration: DurationSchema.default(30_000),
    })
    .prefault({}),
  detection: z
    .strictObject({
      /**
       * Run the correlator in the all-in-one process (`npm start`): on its own thread over the SQLite store, or on the
       * BullMQ bus when Redis is configured. Scale mode runs it as its own service (`npm run start:correlator`).
       */
      correlator: z.stringbool().or(z.boolean()).default(true),
      /** Directory of Sigma rules and correlations; default the bundled `rules/`. */
      rules_dir: z
        .string()
        .min(1)
        .refine((dir) => existsSync(dir), { error: (issue) => `no such directory: ${String(issue.input)}` })
        .optional(),
      /** How late (event time) an event may arrive and still count in a correlation window. */
      allowed_lateness: DurationSchema.default(60_000),
      /** A repeat of the same rule and group key within this long of an open alert's last sighting only counts. */
      suppression_window: DurationSchema.default(10 * 60_000),
      /** An alert joins an active incident about the same entity last seen within this long. */
      incident_window: DurationSchema.default(60 * 60_000),
      /** Bus batches one correlator process evaluates at the same time. */
      concurrency: z.coerce.number().int().min(1).max(64).default(1),
      /** Values of Sigma `expand` placeholders, e.g. `admins: [alice, bob]` for `%admins%`. */
      placeholders: z.record(z.string().min(1), z.union([z.string(), z.array(z.string())])).default({}),
      /**
       * Extra rows of the logsource → `event.dataset` table, checked before the built-in ones (first exact match of
       * category, product and service wins), e.g. `{product: nginx, datasets: [nginx.access]}`.
       */
      logsources: z
        .array(
          z.strictObject({
            category: z.string().min(1).optional(),
            product: z.string().min(1).optional(),
            service: z.string().min(1).optional(),
            datasets: z.array(z.string().min(1)).min(1),
          }),
        )
        .default([]),
    })
    .prefault({}),
  /**
   * Alerts from other systems (`POST /v1/alerts`, the Alertmanager webhook) and the times of every alert
   * (docs/ARCHITECTURE.md, "Alerts and incidents").
   */
  alerts: z
    .strictObject({
      /**
       * How far after the time Bulwark received it an alert's stated times (`first_seen`, `last_seen`, `window`) may
       * lie; later ones are clamped (grouping and suppression use the receive time regardless).
       */
      max_clock_skew: DurationSchema.default(5 * 60_000),
    })
    .prefault({}),
  responder: z
    .strictObject({
      /**
       * Run the responder (playbooks) in the all-in-one process (`npm start`). Scale mode runs it as its own service
       * (`npm run start:responder`).
       */
      enabled: z.stringbool().or(z.boolean()).default(true),
      /** Directory of playbooks; default the bundled `playbooks/`. */
      playbooks_dir: z
        .string()
        .min(1)
        .refine((dir) => existsSync(dir), { error: (issue) => `no such directory: ${String(issue.input)}` })
        .optional(),
      /** Runs one responder process advances at the same time. */
      concurrency: z.coerce.number().int().min(1).max(64).default(4),
      /**
       * Namespaces no playbook may act on, in addition to kube-system and bulwark, which are always protected (a list
       * here adds to them; it never replaces them). Put Bulwark's own namespace here if it is another one.
       */
      protected_namespaces: z
        .array(z.string().min(1))
        .default([])
        .transform((extra) => [...new Set([...ALWAYS_PROTECTED_NAMESPACES, ...extra])]),
      /** Blast radius: limited actions (containment, not notifications) per window, per playbook and overall. */
      limits: z
        .strictObject({
          window: DurationSchema.default(10 * 60_000),
          per_playbook: z.coerce.number().int().min(1).default(10),
          overall: z.coerce.number().int().min(1).default(25),
        })
        .prefault({}),
      /**
       * The Kubernetes API: by default KUBECONFIG, else ~/.kube/config, else the in-cluster service account. Or give
       * the server and a token file (and a CA file): then both are required.
       */
      kube: KubeSettingsSchema.optional(),
      http: HttpSettingsSchema.prefault({}),
      smtp: SmtpSettingsSchema.optional(),
      /** Where people open Bulwark, for links in notifications, e.g. https://bulwark.example.com. */
      public_url: z.url().optional(),
    })
    .prefault({}),
  /**
   * The api service of scale mode (`npm run start:api`): the runs API lives on the responder processes, and the api
   * forwards it there so the console works through the api's one origin (docs/ARCHITECTURE.md, "The console in scale
   * mode").
   */
  api: z
    .strictObject({
      /**
       * Where the api forwards `/v1/playbooks`, `/v1/actions`, `/v1/runs` and `/v1/responder`: one address for the
       * responders (a Service or balancer in front of them). Absent: those routes answer 503 BWK_RESPONDER_NOT_CONFIGURED.
       */
      responder_url: z
        .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
        .refine((u) => { const { pathname, search, hash } = new URL(u); return pathname === '/' && !search && !hash; }, 'the address alone (scheme, host, port): no path, query or fragment')
        .optional(),
      /** How long the responder may take to start answering a forwarded request before the api answers 504. */
      responder_timeout: DurationSchema.refine((ms) => ms >= 100 && ms <= 10 * 60_000, 'must be between 100ms and 10m').default(30_000),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** `json` (one object a line, for shippers), `pretty` (for people), `auto`: pretty when stdout is a terminal. */
      format: z.enum(['auto', 'json', 'pretty']).default('auto'),
    })
    .prefault({}),
  /** The browser console served at `/console/` (docs/ARCHITECTURE.md, "Console sessions"). */
  console: z
    .strictObject({
      /** How long a sign-in lasts: the session cookie's Max-Age and the stored session's expiry. */
      session_ttl: DurationSchema.refine((ms) => ms >= 60_000 && ms <= 30 * 24 * 3_600_000, 'must be between 1m and 30d').default(12 * 3_600_000),
    })
    .prefault({}),
}).superRefine((config, ctx) => {
  // Scale mode: collectors publish stored batches to BullMQ and correlators share window state, both in Redis.
  if (config.store.type !== 'sqlite' && !config.bus.redis_url) {
    ctx.addIssue({
      code: 'custom',
      path: ['bus', 'redis_url'],
      message: `is required when store.type is ${config.store.type} (scale mode: the bus and correlation state live in Redis)`,
    });
  }
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** Environment variables and the config path each one sets. */
export const ENV_VARS: Record<string, string[]> = {
  BULWARK_PORT: ['server', 'port'],
  BULWARK_HOST: ['server', 'host'],
  BULWARK_TLS_CERT_FILE: ['server', 'tls', 'cert_file'],
  BULWARK_TLS_KEY_FILE: ['server', 'tls', 'key_file'],
  BULWARK_TLS_CLIENT_CA_FILE: ['server', 'tls', 'client_ca_file'],
  BULWARK_HTTP_PORT: ['server', 'tls', 'http_port'],
  BULWARK_SHUTDOWN_TIMEOUT: ['server', 'shutdown_timeout'],
  BULWARK_SHUTDOWN_DELAY: ['server', 'shutdown_delay'],
  BULWARK_DATA_DIR: ['data_dir'],
  BULWARK_STORE: ['store', 'type'],
  BULWARK_STORE_URL: ['store', 'url'],
  BULWARK_STORE_USERNAME: ['store', 'username'],
  BULWARK_STORE_PASSWORD: ['store', 'password'],
  BULWARK_STORE_API_KEY: ['store', 'api_key'],
  BULWARK_STORE_CA_FILE: ['store', 'ca_file'],
  BULWARK_STORE_PREFIX: ['store', 'prefix'],
  BULWARK_RETENTION_DAYS: ['store', 'retention_days'],
  BULWARK_RETENTION_MAX_BYTES: ['store', 'retention_max_bytes'],
  BULWARK_STORE_REFRESH: ['store', 'refresh'],
  BULWARK_STORE_REFRESH_INTERVAL: ['store', 'refresh_interval'],
  BULWARK_SQLITE_SYNCHRONOUS: ['store', 'synchronous'],
  BULWARK_SQLITE_WRITER: ['store', 'writer'],
  BULWARK_BOOTSTRAP_TOKEN: ['auth', 'bootstrap_token'],
  BULWARK_MAX_BODY_BYTES: ['ingest', 'max_body_bytes'],
  BULWARK_MAX_DEPTH: ['ingest', 'max_depth'],
  BULWARK_DECODE_THREADS: ['ingest', 'decode_threads'],
  BULWARK_KUBE_EVENTS: ['ingest', 'kubernetes_events', 'enabled'],
  BULWARK_KUBE_EVENTS_CLUSTER: ['ingest', 'kubernetes_events', 'cluster'],
  BULWARK_KEEP_ORIGINAL: ['ingest', 'keep_original'],
  BULWARK_INGEST_STOPPED_AFTER: ['ingest', 'stopped_after'],
  BULWARK_LOG_LEVEL: ['log', 'level'],
  BULWARK_LOG_FORMAT: ['log', 'format'],
  BULWARK_CORRELATOR: ['detection', 'correlator'],
  BULWARK_RULES_DIR: ['detection', 'rules_dir'],
  BULWARK_ALLOWED_LATENESS: ['detection', 'allowed_lateness'],
  BULWARK_SUPPRESSION_WINDOW: ['detection', 'suppression_window'],
  BULWARK_INCIDENT_WINDOW: ['detection', 'incident_window'],
  BULWARK_CORRELATOR_CONCURRENCY: ['detection', 'concurrency'],
  BULWARK_REDIS_URL: ['bus', 'redis_url'],
  BULWARK_BUS_PREFIX: ['bus', 'prefix'],
  BULWARK_BUS_GROUPS: ['bus', 'groups'],
  BULWARK_BUS_LOCK_DURATION: ['bus', 'lock_duration'],
  BULWARK_ALERTS_MAX_CLOCK_SKEW: ['alerts', 'max_clock_skew'],
  BULWARK_RESPONDER: ['responder', 'enabled'],
  BULWARK_PLAYBOOKS_DIR: ['responder', 'playbooks_dir'],
  BULWARK_PUBLIC_URL: ['responder', 'public_url'],
  BULWARK_RESPONDER_LIMIT_WINDOW: ['responder', 'limits', 'window'],
  BULWARK_RESPONDER_MAX_ACTIONS_PER_PLAYBOOK: ['responder', 'limits', 'per_playbook'],
  BULWARK_RESPONDER_MAX_ACTIONS: ['responder', 'limits', 'overall'],
  BULWARK_CONSOLE_SESSION_TTL: ['console', 'session_ttl'],
  BULWARK_API_RESPONDER_URL: ['api', 'responder_url'],
  BULWARK_API_RESPONDER_TIMEOUT: ['api', 'responder_timeout'],
};

/** Env vars read by the loader itself rather than mapped onto the schema. */
export const LOADER_ENV_VARS = ['BULWARK_CONFIG'];
