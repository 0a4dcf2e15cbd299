/**
 * `npm run start:collector`: the collector alone (scale mode runs it beside a separate api), and this process's
 * composition root: it stores logs and publishes them to the bus; alerts and incidents belong to the api and correlator
 * (it writes only its ingest counters to the case store).
 */
import { collectorDeps, openBusFor, openCases, runService } from '@bulwark/runtime';
import { buildApp } from './app.js';

// The case store only for the ingest counters each collector flushes (`sources`), which the api sums.
await runService('collector', async (core) => buildApp(collectorDeps(core, openBusFor(core), await openCases(core))));
