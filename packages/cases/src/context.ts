/** What every case operation needs: the store, the windows, and a clock (tests pin it). */
import type { CaseStore } from '@bulwark/store';
import { KeyedLock } from './keyed-lock.js';

export interface CaseServiceOptions {
  /**
   * Suppression: another alert of the same rule and group key whose first sighting is within this many ms of an open
   * alert's last sighting updates that alert's count and last-seen time instead of being stored. Default 10 minutes.
   */
  suppressionWindowMs?: number;
  /** Grouping: an alert joins an active incident about the same entity last seen within this many ms. Default 1 hour. */
  incidentWindowMs?: number;
  /** The current time, ISO 8601; defaults to the wall clock. */
  now?: () => string;
  /**
   * Told about every recorded alert (new, repeat or duplicate) after it is stored: the responder's trigger. Awaited,
   * so a failure fails the recording and the producer retries (the responder's runs have deterministic ids, so a
   * repeated notice starts nothing twice).
   */
  onRecorded?: (result: { alertId: string; incidentId: string | null; outcome: string }) => Promise<void>;
}

export interface CaseContext {
  store: CaseStore;
  suppressionWindowMs: number;
  incidentWindowMs: number;
  now: () => string;
  /** Serialises suppression per rule and group key within this process. */
  suppressionLock: KeyedLock;
  onRecorded: CaseServiceOptions['onRecorded'];
}

export function caseContext(store: CaseStore, options: CaseServiceOptions = {}): CaseContext {
  return {
    store,
    suppressionWindowMs: options.suppressionWindowMs ?? 10 * 60_000,
    incidentWindowMs: options.incidentWindowMs ?? 60 * 60_000,
    now: options.now ?? (() => new Date().toISOString()),
    suppressionLock: new KeyedLock(),
    onRecorded: options.onRecorded,
  };
}
