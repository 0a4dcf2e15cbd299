/**
 * `npm run start:responder`: the responder as its own process (scale mode), and this process's composition root. It
 * takes recorded alerts and run steps from the BullMQ queue `responder` (Redis), so any number of responders share the
 * work, and a responder that dies mid-step leaves a journal the next one continues from. Serves the runs API.
 */
import { caseServiceFrom, kubeFromConfig, openCases, openResponderQueueFor, responderDeps, responderHttpDeps, runService } from '@bulwark/runtime';
import { buildApp } from './app.js';
import { startResponder } from './responder.js';

await runService('responder', async (core) => {
  const cases = await openCases(core);
  // The responder records no alerts of its own: its case service announces nothing.
  const caseService = caseServiceFrom(core.config, cases, null);
  const responder = await startResponder(responderDeps(core, caseService, openResponderQueueFor(core), kubeFromConfig(core.config)));
  return buildApp(responderHttpDeps(core, cases), responder);
});
