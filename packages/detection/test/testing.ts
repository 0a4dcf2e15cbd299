/**
 * `@bulwark/detection/testing`: what adapter packages' tests need to prove an adapter of detection's ports — the
 * `CorrelationState` contract suite and the correlation test helpers it runs on. Only tests import this (the package's
 * `./testing` export); production code imports `@bulwark/detection`, which never reaches into test/.
 */
export * from './correlation-state-contract.js';
export * from './correlation-helpers.js';
