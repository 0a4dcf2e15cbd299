/**
 * The one way a process builds its `CaseService`: over the case store its root opened, with the configured windows and
 * skew (`caseOptionsFromConfig`), announcing every recorded alert to the responders when the process has an announcer.
 * Each root builds one and hands the same object to every service of the process that records or reads cases.
 */
import type { Config } from '@bulwark/config';
import { CaseService, caseOptionsFromConfig } from '@bulwark/cases';
import type { CaseStore } from '@bulwark/store';
import type { AlertAnnouncer } from './announce.js';

export function caseServiceFrom(config: Config, store: CaseStore, announce: AlertAnnouncer | null): CaseService {
  return new CaseService(store, { ...caseOptionsFromConfig(config), ...(announce ? { onRecorded: announce } : {}) });
}
