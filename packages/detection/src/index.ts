/**
 * @bulwark/detection — the Sigma detection core: load rules (`loadRule`, `loadRules`), compile them once
 * (`compileRules`) and match events against the indexed `RuleSet`. See README.md for semantics and choices.
 */
export { loadRule, loadRules, RuleLevels, RuleStatuses, type SigmaRule } from './load.js';
export { compileRules, RuleSet, type MatchedRule } from './ruleset.js';
export type { CompiledRule, DetectionConfig } from './compile.js';
export { detectionConfigFrom } from './compile.js';
export { DEFAULT_LOGSOURCES, datasetsFor, type Logsource, type LogsourceMapping } from './logsource.js';
export { SigmaRuleError, formatProblem, type SigmaProblem } from './problems.js';
export { compileFieldPath, AUDIT_DATASET, type FieldValues } from './fields.js';
export { addField, addObservedEvent, auditEventFields, buildFieldCatalogue, emptyDataset, AUDIT_VERBS, type DatasetFields, type FieldCatalogue, type FieldInfo, type FieldSamples, type FieldType } from './field-catalogue.js';
export { fieldRefs, lintFields, ruleFieldProblems, type FieldRef } from './field-lint.js';
export { KEYWORD_FIELD } from './detection.js';
export type { Placeholders } from './values.js';
export type { ConditionNode } from './condition.js';
export {
  loadCorrelation, loadSigmaFiles, parseTimespan, CorrelationTypes, type SigmaCorrelation, type CorrelationType,
  type CorrelationCondition, type SigmaFiles,
} from './correlation/load.js';
export { compileCorrelations, CorrelationSet, type CompiledCorrelation, type CorrelationMember } from './correlation/compile.js';
export {
  CorrelationEngine, matchId, type CorrelationEngineOptions, type CorrelationMatch, type CorrelationStats,
} from './correlation/engine.js';
export {
  InMemoryCorrelationState, type CorrelationState, type CorrelationStateSnapshot, type VersionedWindow,
} from './correlation/state.js';
export { applyEntry, conditionTest, type WindowEntry, type WindowState, type WindowHit, type WindowSpec } from './correlation/window.js';
export { planBacktest, runBacktest, findRule, ruleKey, datasetQuery, pagedEvents, DEFAULT_BACKTEST_LIMIT, MAX_HIT_EVENT_IDS, type BacktestContext, type BacktestPlan, type BacktestOptions, type BacktestHit, type BacktestResult, type PageFetcher } from './backtest.js';
export * from './rule-files.js';
export { deploymentRules, loadRuleContext, type DeploymentRules, type DetectionSettings } from './deployment-rules.js';
export { isNewTerm, newTermsOf, observeTerm, termsOf, type NewTermsSpec } from './new-terms.js';
