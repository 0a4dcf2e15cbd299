/** @bulwark/playbooks: the playbook format and loader, and the engine that runs them (docs/ARCHITECTURE.md, "Response"). */
export * from './format.js';
export * from './load.js';
export * from './template.js';
export * from './trigger.js';
export * from './limits.js';
export { resolveSecret } from './secrets.js';
export { RunJournal } from './journal.js';
export { PlaybookEngine, type EngineOptions, type EngineOutcomes } from './engine.js';
export { runView, newRun } from './run-model.js';
export { conditionHolds } from './steps.js';
export { assessEvidence, contains, onlyNotifies } from './evidence.js';
export { requesterMatch, type Decider } from './decisions.js';
export { incidentPort, MAX_EVIDENCE_BYTES } from './incidents.js';
