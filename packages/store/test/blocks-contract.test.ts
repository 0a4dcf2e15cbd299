/** The LogStore contract on the embedded block store, inline and with the writer thread. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { BlockLogStore } from '../src/index.js';
import { runLogStoreContract } from './contract/logstore-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-contract-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = () => join(dir, `store-${++n}.sqlite`);

runLogStoreContract('embedded blocks (file)', async () => new BlockLogStore({ path: dbPath() }));
runLogStoreContract('embedded blocks (file, writer thread)', async () => new BlockLogStore({ path: dbPath(), writer: 'thread' }));
