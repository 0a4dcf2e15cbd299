/** `npm start`: Bulwark in one process with the embedded SQLite store; no external service needed. */
import { serve } from '@bulwark/http';
import { buildApp } from './app.js';
import { startEmbedded } from './embedded.js';

await serve('all-in-one', (deps) => {
  // The correlator reads what the collector stores; a rule that fails to load stops the start, every problem listed.
  if (deps.config.detection.correlator) {
    startEmbedded(deps).catch((err: unknown) => {
      deps.logger.fatal({ err }, 'could not start the embedded correlator');
      process.exit(1);
    });
  }
  return buildApp(deps);
});
