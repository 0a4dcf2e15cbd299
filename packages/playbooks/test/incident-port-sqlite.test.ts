/**
 * The IncidentPort contract on the embedded case store: a SQLite file opened as the responder opens it
 * (`synchronous` FULL, the `store.synchronous` default).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteCaseStore } from '@bulwark/store';
import { runIncidentPortContract } from './incident-port-contract.js';

runIncidentPortContract('SQLite case store', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-incident-port-'));
  const store = new SqliteCaseStore({ path: join(dir, 'bulwark.db'), synchronous: 'FULL' });
  await store.init();
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
