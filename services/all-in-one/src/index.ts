export { buildApp, type AllInOneDeps } from './app.js';
export { composeAllInOne, correlatorPlacement, type AllInOne, type AllInOneOptions, type CorrelatorPlacement } from './root.js';
export { startCorrelatorThread, type CorrelatorThread, type CorrelatorThreadDeps } from './correlator-thread.js';
