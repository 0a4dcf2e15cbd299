/**
 * The search engines the scale-mode suites run on, so a suite says `for (const engine of SEARCH_ENGINES)` instead of
 * repeating itself per engine: each gives the shared node's address (from `test/services/up`), the `BULWARK_STORE*`
 * environment of a deployment on it, and a throwaway node of the suite's own for tests that kill the engine.
 */
import { OwnElasticsearchNode } from './elasticsearch-node.js';
import { OwnOpenSearchNode } from './opensearch-node.js';

export type EngineKind = 'opensearch' | 'elasticsearch';

/** A node a suite starts, kills and restarts itself. */
export interface OwnEngineNode {
  readonly url: string;
  start(timeoutMs?: number): Promise<void>;
  kill(): Promise<void>;
  destroy(): Promise<void>;
}

export interface SearchEngine {
  kind: EngineKind;
  /** For test names: `OpenSearch`, `Elasticsearch`. */
  name: string;
  /** The variable `test/services/up` writes the shared node's address to. */
  urlVariable: string;
  /** The shared node's address; throws, saying how to start it, when unset: these suites never skip an engine. */
  url(): string;
  /** `BULWARK_STORE`, `BULWARK_STORE_URL` and `BULWARK_STORE_PREFIX` of a deployment on this engine. */
  storeEnv(prefix: string, url?: string): Record<string, string>;
  ownNode(): OwnEngineNode;
}

function engine(kind: EngineKind, name: string, urlVariable: string, ownNode: () => OwnEngineNode): SearchEngine {
  const url = (): string => {
    const value = process.env[urlVariable];
    if (!value) {
      throw new Error(`${urlVariable} is not set: run the suite with \`npm test\`, or \`test/services/up ${kind} redis && source test/.services.env\` first`);
    }
    return value;
  };
  return {
    kind,
    name,
    urlVariable,
    url,
    storeEnv: (prefix, at) => ({ BULWARK_STORE: kind, BULWARK_STORE_URL: at ?? url(), BULWARK_STORE_PREFIX: prefix }),
    ownNode,
  };
}

export const OPENSEARCH = engine('opensearch', 'OpenSearch', 'OPENSEARCH_URL', () => new OwnOpenSearchNode());
export const ELASTICSEARCH = engine('elasticsearch', 'Elasticsearch', 'ELASTICSEARCH_URL', () => new OwnElasticsearchNode());

/** Every engine scale mode is tested on, in the order suites run them. */
export const SEARCH_ENGINES: readonly SearchEngine[] = [OPENSEARCH, ELASTICSEARCH];
