/**
 * `npm run start:collector`: the collector alone (scale mode runs it beside a separate api), and this process's
 * composition root: it stores logs and publishes them to the bus; alerts and incidents belong to the api and correlator.
 */
import { collectorDeps, openBusFor, runService } from '@bulwark/runtime';
import { buildApp } from './app.js';

await runService('collector', (core) => buildApp(collectorDeps(core, openBusFor(core))));
