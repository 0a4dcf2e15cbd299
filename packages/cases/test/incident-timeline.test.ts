/** The incident timeline and report on the embedded stores: SQLite log and case stores in a throwaway directory. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteCaseStore, BlockLogStore } from '@bulwark/store';
import { runIncidentTimelineSuite } from './incident-timeline-suite.js';

runIncidentTimelineSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-timeline-'));
  const logs = new BlockLogStore({ path: join(dir, 'bulwark.db') });
  const cases = new SqliteCaseStore({ path: join(dir, 'cases.db') });
  await logs.init();
  await cases.init();
  return {
    logs,
    cases,
    async close() {
      await cases.close();
      await logs.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
