/**
 * @bulwark/correlator — runs detection rules and correlations on the bus and records alerts and incidents. Embedded
 * mode starts it in-process (`services/all-in-one`); scale mode runs `main.ts` on BullMQ.
 */
export { startCorrelator, type Correlator, type CorrelatorOptions, type CorrelatorStats } from './correlator.js';
export { alertForCorrelation, alertForRule, entityOf, ruleRef, severityOf } from './alerts.js';
export { BUNDLED_RULES_DIR, findRuleFiles, loadRuleDir, type LoadedRules } from './rules.js';
export { startCorrelatorService, caseServiceOf, exposeStatus, statusOf, type CorrelatorServiceOptions } from './service.js';
export { classifyFailure, EvaluationError, type FailureKind } from './failures.js';
export { deadLetterRecord, type DeadLetterRecord } from './dead-letter.js';
export { sourceOf, receivedMsOf, isReservedDataset, correlationsReadingLogs } from './provenance.js';
export { buildApp } from './app.js';
