/** `npm start`: Bulwark in one process with the embedded SQLite store; no external service needed. */
import { serve } from '@bulwark/http';
import { buildApp } from './app.js';
import { startCorrelatorService } from '@bulwark/correlator';
import { startResponder } from '@bulwark/responder';
import { startCorrelatorThread } from './correlator-thread.js';

await serve(
  'all-in-one',
  async (deps) => {
    // The correlator reads what the collector stores; a rule that fails to load stops the start, every problem listed.
    // Embedded: on its own thread over the SQLite file; with Redis: in this process on the BullMQ bus.
    if (deps.config.detection.correlator) {
      if (deps.bus) await startCorrelatorService(deps, deps.bus);
      else await startCorrelatorThread(deps);
    }
    // The responder runs playbooks on the alerts recorded here; a playbook that fails to load stops the start.
    const responder = deps.config.responder.enabled ? await startResponder(deps) : null;
    return buildApp(deps, responder);
  },
  // The embedded correlator thread opens its own bus; with Redis the collector publishes to BullMQ.
  (config) => ({ bus: config.bus.redis_url !== undefined }),
);
