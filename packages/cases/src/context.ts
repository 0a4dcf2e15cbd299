/** What every case operation needs: the store, the windows, and a clock (tests pin it). */
import type { CaseStore } from '@bulwark/store';
import { KeyedLock } from './keyed-lock.js';

export interface CaseServiceOptions {
  /**
   * Suppression: another alert of the same rule and group key received within this many ms of an open alert's span
   * of receive times updates that alert's count and last-seen time instead of being stored. Default 10 minutes.
   */
  suppressionWindowMs?: number;
  /** Grouping: an alert joins an active incident about the same entity received within this many ms. Default 1 hour. */
  incidentWindowMs?: number;
  /**
   * How far in the future (of the time Bulwark received the evidence) an alert's times may lie; later times are
   * clamped to it (`alerts.max_clock_skew`). Default 5 minutes.
   */
  maxClockSkewMs?: number;
  /**
   * A suppression claim whose alert has not appeared after this long is taken over: its claimer died between claiming
   * and creating the alert (see suppression.ts). Default 30 seconds.
   */
  suppressionClaimTimeoutMs?: number;
  /** The current time, ISO 8601; defaults to the wall clock. */
  now?: () => string;
  /**
   * Told about every recorded alert (new, repeat or duplicate) after it is stored: the responder's trigger. Awaited,
   * so a failure fails the recording and the producer retries (the responder's runs have deterministic ids, so a
   * repeated notice starts nothing twice).
   */
  onRecorded?: (result: { alertId: string; incidentId: string | null; outcome: string }) => Promise<void>;
}

/**
 * The windows and skew of Bulwark's configuration (`detection.suppression_window`, `detection.incident_window`,
 * `alerts.max_clock_skew`), so every process that records alerts — the API's intake, the correlator, the responder —
 * folds and groups them the same way. Typed by shape: this package does not depend on the config package.
 */
export function caseOptionsFromConfig(config: {
  detection: { suppression_window: number; incident_window: number };
  alerts: { max_clock_skew: number };
}): Pick<CaseServiceOptions, 'suppressionWindowMs' | 'incidentWindowMs' | 'maxClockSkewMs'> {
  return {
    suppressionWindowMs: config.detection.suppression_window,
    incidentWindowMs: config.detection.incident_window,
    maxClockSkewMs: config.alerts.max_clock_skew,
  };
}

export interface CaseContext {
  store: CaseStore;
  suppressionWindowMs: number;
  incidentWindowMs: number;
  maxClockSkewMs: number;
  suppressionClaimTimeoutMs: number;
  now: () => string;
  /**
   * Serialises suppression per rule and group key within this process, so its own recordings never wait on each
   * other's claims; across processes the claims in the store decide (suppression.ts).
   */
  suppressionLock: KeyedLock;
  /** The latest suppression claim generation seen per suppression key: where the next lookup starts (a hint only). */
  claimHints: Map<string, number>;
  /** The latest incident generation seen per entity (grouping.ts): where the next lookup starts (a hint only). */
  incidentHints: Map<string, number>;
  onRecorded: CaseServiceOptions['onRecorded'];
}

export function caseContext(store: CaseStore, options: CaseServiceOptions = {}): CaseContext {
  return {
    store,
    suppressionWindowMs: options.suppressionWindowMs ?? 10 * 60_000,
    incidentWindowMs: options.incidentWindowMs ?? 60 * 60_000,
    maxClockSkewMs: options.maxClockSkewMs ?? 5 * 60_000,
    suppressionClaimTimeoutMs: options.suppressionClaimTimeoutMs ?? 30_000,
    now: options.now ?? (() => new Date().toISOString()),
    suppressionLock: new KeyedLock(),
    claimHints: new Map(),
    incidentHints: new Map(),
    onRecorded: options.onRecorded,
  };
}
