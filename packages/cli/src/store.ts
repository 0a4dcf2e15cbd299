/**
 * Opens the configured log store for reading only. It mirrors `openLogStore` of `@bulwark/http` (which the package does
 * not export, and which would also start what a long-running service wants: the SQLite writer thread, the search
 * engine's retention job): the embedded SQLite file in `data_dir`, or the search engine named by `store.*`. An
 * embedded store that does not exist yet is an error rather than a new empty file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '@bulwark/config';
import { BulwarkError } from '@bulwark/schema';
import { SearchLogStore, BlockLogStore, type LogStore, type SearchEngineOptions } from '@bulwark/store';

/** The embedded store file does not exist: the data directory is not set to where the services keep it. */
export class NoStoreError extends BulwarkError<'BWK_CONFIG_INVALID'> {
  constructor(path: string) {
    super('BWK_CONFIG_INVALID', `no event store at ${path}; set BULWARK_DATA_DIR (or data_dir in BULWARK_CONFIG) to the data directory`, {
      field: 'data_dir',
      path,
    });
    this.name = 'NoStoreError';
  }
}

export async function openReadStore(config: Config): Promise<LogStore> {
  const s = config.store;
  if (s.type === 'sqlite') {
    const path = join(config.data_dir, 'bulwark.db');
    if (!existsSync(path)) {
      throw new NoStoreError(path);
    }
    const store = new BlockLogStore({ path, synchronous: s.synchronous, writer: 'inline' });
    await store.init();
    return store;
  }
  const engine: SearchEngineOptions = {
    kind: s.type === 'elasticsearch' ? 'elasticsearch' : 'opensearch',
    url: s.url!,
    ...(s.username !== undefined && s.password !== undefined ? { auth: { username: s.username, password: s.password } } : {}),
    ...(s.api_key ? { auth: { apiKey: s.api_key } } : {}),
    ...(s.ca_file ? { caFile: s.ca_file } : {}),
  };
  const store = new SearchLogStore({ engine, prefix: s.prefix });
  await store.init();
  return store;
}
