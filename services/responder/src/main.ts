/**
 * `npm run start:responder`: the responder as its own process (scale mode). It takes recorded alerts and run steps
 * from the BullMQ queue `responder` (Redis), so any number of responders share the work, and a responder that dies
 * mid-step leaves a journal the next one continues from. Serves the runs API.
 */
import { serve } from '@bulwark/http';
import { buildApp } from './app.js';
import { startResponder } from './responder.js';

await serve('responder', async (deps) => buildApp(deps, await startResponder(deps)), { cases: true });
