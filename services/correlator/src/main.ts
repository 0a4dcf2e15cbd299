/**
 * `npm run start:correlator`: the correlator as its own process (scale mode), and this process's composition root. It
 * consumes stored batches from the bus (BullMQ when `bus.redis_url` is set), shares correlation windows through
 * Redis, and writes alerts and incidents to the case store, announcing each to the responders. Run as many as the
 * event rate needs: they split the batches and produce the alerts one would.
 */
import {
  caseServiceFrom, correlatorDeps, httpDeps, openBusFor, openCases, openCorrelationStateFor, remoteAnnouncer, runService,
} from '@bulwark/runtime';
import { buildApp } from './app.js';
import { correlatorReady, startCorrelatorService } from './service.js';

await runService('correlator', async (core) => {
  // Its own case-store connection for derived records (see openCaseStore `derived`).
  const caseService = caseServiceFrom(core.config, await openCases(core, { derived: true }), remoteAnnouncer(core));
  const deps = correlatorDeps(core, openBusFor(core), openCorrelationStateFor(core), caseService);
  const correlator = await startCorrelatorService(deps);
  core.lifetime.onClose(() => correlator.close(), 'correlator (finishing the batch in hand)');
  core.readiness.add('correlator', () => correlatorReady(correlator));
  return buildApp(httpDeps(core), correlator);
});
