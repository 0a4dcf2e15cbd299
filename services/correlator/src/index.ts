/**
 * @bulwark/correlator — runs detection rules and correlations on the bus and records alerts and incidents. Embedded
 * mode starts it in-process (`services/all-in-one`); a scale-mode `main.ts` on BullMQ comes later.
 */
export { startCorrelator, type Correlator, type CorrelatorOptions } from './correlator.js';
export { alertForCorrelation, alertForRule, entityOf, ruleRef, severityOf } from './alerts.js';
export { BUNDLED_RULES_DIR, findRuleFiles, loadRuleDir, type LoadedRules } from './rules.js';
