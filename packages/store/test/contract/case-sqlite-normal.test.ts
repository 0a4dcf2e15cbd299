/**
 * The CaseStore contract on the setting the product records alerts and incidents with (packages/runtime/src/stores.ts,
 * `openCaseStore` with `derived`): `synchronous = NORMAL` on the correlator's own connection. case-sqlite.test.ts runs
 * it at FULL, as people's changes are written; the log store's product defaults (FULL, the writer thread) are run by
 * sqlite.test.ts. The scopes used twice in the suite open two connections on one file, as the correlator thread and
 * the HTTP thread of `npm start` do.
 */
import { after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteCaseStore } from '../../src/index.js';
import { runCaseStoreContract } from './casestore-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bwk-case-normal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runCaseStoreContract("sqlite (the correlator's connection: synchronous NORMAL)", async (scope) =>
  new SqliteCaseStore({ path: join(dir, `cases-${scope}.sqlite`), synchronous: 'NORMAL' }),
);
