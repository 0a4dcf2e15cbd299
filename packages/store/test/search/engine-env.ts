/**
 * What the search-engine suites share: the engine address from the environment, a random prefix per store so runs
 * and tests never see each other's data, and the clean-up that removes everything a prefix created.
 */
import { randomBytes } from 'node:crypto';
import { createEngineClient, SearchLogStore, type EngineClient, type EngineKind, type SearchLogStoreOptions } from '../../src/index.js';

const URL_VARIABLE: Record<EngineKind, { name: string; service: string }> = {
  opensearch: { name: 'OPENSEARCH_URL', service: 'opensearch' },
  elasticsearch: { name: 'ELASTICSEARCH_URL', service: 'elasticsearch' },
};

/**
 * The engine's address from the environment (`OPENSEARCH_URL`, `ELASTICSEARCH_URL`), or a failure that says how to
 * get one: the search-engine suites never skip.
 */
export function requireEngineUrl(kind: EngineKind): string {
  const { name, service } = URL_VARIABLE[kind];
  const url = process.env[name];
  if (!url) {
    throw new Error(
      `${name} is not set: run \`test/services/up ${service} && source test/.services.env\` (or \`npm test\`, which does it), ` +
        `or point it at your own ${kind} node`,
    );
  }
  return url;
}

export function requireOpenSearchUrl(): string {
  return requireEngineUrl('opensearch');
}

export function randomPrefix(tag = 't'): string {
  return `${tag}${randomBytes(5).toString('hex')}`;
}

/**
 * Deletes the data streams, template, dead-letter index and ISM policy of a prefix; missing ones are fine. On the
 * embedded Elasticsearch test node `DELETE /_data_stream` is a test-harness stand-in (test/services/elasticsearch):
 * only clean-up like this may use it, never the product.
 */
export async function dropPrefix(client: EngineClient, prefix: string): Promise<void> {
  const ignore = { ignore: [400, 404] };
  await client.request({ method: 'DELETE', path: `/_data_stream/logs-${prefix}.*-*` }, ignore);
  await client.request({ method: 'DELETE', path: `/_index_template/${prefix}-logs` }, ignore);
  await client.request({ method: 'DELETE', path: `/${prefix}-deadletter`, querystring: { ignore_unavailable: true } }, ignore);
  if (client.kind === 'opensearch') await client.request({ method: 'DELETE', path: `/_plugins/_ism/policies/${prefix}-logs-retention` }, ignore);
}

/** One client per suite, stores with fresh prefixes, and clean-up of every prefix used. */
export class EngineFixture {
  readonly client: EngineClient;
  private readonly prefixes = new Set<string>();

  constructor(
    readonly kind: EngineKind,
    readonly url: string,
  ) {
    this.client = createEngineClient({ kind, url });
  }

  /**
   * A store (not yet initialised) on a new prefix, or on `prefix` to share one with another store. Its streams
   * refresh every 100 ms instead of every second: `append` still waits for a refresh (`wait_for`), only sooner, which
   * takes the suite from ~30 s to a few seconds. One adapter test checks read-your-writes with the default interval.
   */
  store(options: Partial<SearchLogStoreOptions> & { prefix?: string } = {}): SearchLogStore {
    const prefix = options.prefix ?? randomPrefix();
    this.prefixes.add(prefix);
    return new SearchLogStore({ refreshInterval: '100ms', ...options, client: this.client, prefix } as SearchLogStoreOptions);
  }

  async cleanUp(): Promise<void> {
    for (const prefix of this.prefixes) await dropPrefix(this.client, prefix);
    await this.client.close();
  }
}
