// services: opensearch
/** The explorer routes on OpenSearch: the same suite as on SQLite, so both adapters answer alike. */
import { explorerSuite } from './explorer-suite.js';

explorerSuite('opensearch');
