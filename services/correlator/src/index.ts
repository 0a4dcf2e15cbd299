/**
 * @bulwark/correlator — runs detection rules and correlations on the bus and records alerts and incidents. Embedded
 * mode runs it on its own thread (`services/all-in-one`); scale mode runs `main.ts` on BullMQ. Roots hand it its bus,
 * window state and case service (`CorrelatorDeps`, @bulwark/runtime).
 */
export { startCorrelator, type Correlator, type CorrelatorOptions, type CorrelatorStats } from './correlator.js';
export { alertForCorrelation, alertForRule, entityOf, ruleRef, severityOf } from './alerts.js';
export { BUNDLED_RULES_DIR, findRuleFiles, loadRuleDir, type LoadedRules } from './rules.js';
export { correlatorReady, startCorrelatorService, statusOf, type CorrelatorServiceOptions } from './service.js';
export { classifyFailure, EvaluationError, type FailureKind } from './failures.js';
export { deadLetterRecord, type DeadLetterRecord } from './dead-letter.js';
export { sourceOf, receivedMsOf, isReservedDataset, correlationsReadingLogs } from './provenance.js';
export { buildApp } from './app.js';
