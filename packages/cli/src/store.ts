/**
 * Opens the configured log store for reading only. It mirrors `openLogStore` of `@bulwark/http` (which the package does
 * not export, and which would also start what a long-running service wants: the SQLite writer thread, the search
 * engine's retention job): the embedded SQLite file in `data_dir`, or the search engine named by `store.*`. An
 * embedded store that does not exist yet is an error rather than a new empty file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '@bulwark/config';
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

/**
 * What the store-reading commands (`rules backtest`, `rules coverage`) share: the configuration the services load
 * (`--config` or BULWARK_CONFIG, BULWARK_* env on top), its store opened read-only around `read`, and the failures a
 * user can act on turned into messages and exit codes (a bad config or no store: usage, 2; an unreadable store: 1).
 * `read` gets the configuration first (to resolve rules) and returns the command's exit code.
 */
export async function withReadStore(
  io: { stderr: { write(text: string): unknown }; env?: NodeJS.ProcessEnv | Record<string, string | undefined> },
  configFile: string | undefined,
  read: (config: Config) => { ready: number } | ((store: LogStore) => Promise<number>),
): Promise<number> {
  const say = (text: string) => io.stderr.write(`${text}\n`);
  let config: Config;
  try {
    config = loadConfig({ ...(io.env ?? process.env), ...(configFile !== undefined ? { BULWARK_CONFIG: configFile } : {}) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    say(`bulwark: ${error.message}`);
    return 2;
  }
  const run = read(config);
  if (typeof run !== 'function') return run.ready;
  try {
    const store = await openReadStore(config);
    try {
      return await run(store);
    } finally {
      await store.close();
    }
  } catch (error) {
    if (error instanceof NoStoreError) {
      say(`bulwark: ${error.message}`);
      return 2;
    }
    // An unreachable engine or an unreadable file: the message says which; a stack trace would not help the user.
    say(`bulwark: reading the event store (${config.store.type}) failed: ${(error as Error).message}`);
    return 1;
  }
}
