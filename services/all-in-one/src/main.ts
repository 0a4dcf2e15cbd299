/** `npm start`: Bulwark in one process with the embedded SQLite store; no external service needed. */
import { serve } from '@bulwark/http';
import { buildApp } from './app.js';
import { startDetection } from './embedded.js';

await serve(
  'all-in-one',
  async (deps) => {
    // The correlator reads what the collector stores; a rule that fails to load stops the start, every problem listed.
    if (deps.config.detection.correlator) await startDetection(deps);
    return buildApp(deps);
  },
  (config) => ({ bus: config.detection.correlator || config.bus.redis_url !== undefined }),
);
