/**
 * `npm run start:api`: the search API alone, and this process's composition root. Alerts posted here are announced to
 * the responders when there are any to reach (see `remoteAnnouncer`).
 */
import { apiDeps, caseServiceFrom, openCases, remoteAnnouncer, runService } from '@bulwark/runtime';
import { buildApp } from './app.js';

await runService('api', async (core) => {
  const caseService = caseServiceFrom(core.config, await openCases(core), remoteAnnouncer(core));
  // No correlator runs in this process: each correlator process serves its own status.
  return buildApp(apiDeps(core, caseService, null));
});
