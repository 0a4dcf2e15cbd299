/**
 * What every HTTP surface of Bulwark is built from: its configuration, a logger for failed requests, the log store
 * (readiness, and search or ingest where the surface has them), the authenticator and the process's metrics. Each
 * service's dependencies extend this (see @bulwark/runtime, which builds them); a router that needs nothing more takes just this.
 */
import type { Logger } from 'pino';
import type { Config } from '@bulwark/config';
import type { Metrics } from '@bulwark/metrics';
import type { LogStore } from '@bulwark/store';
import type { Authenticator } from './auth.js';
import type { Readiness } from './readiness.js';

export interface HttpDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: LogStore;
  readonly auth: Authenticator;
  /** The process's readiness probes, for `/readyz` (absent: the store's ping alone). */
  readonly readiness?: Readiness;
  /** The process's one metrics registry (created by its root): `GET /metrics` and request timing. */
  readonly metrics: Metrics;
}

