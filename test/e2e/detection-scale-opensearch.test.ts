// services: opensearch redis
/** Detection end to end in scale mode on OpenSearch: detection-scale-suite.ts. */
import { OPENSEARCH } from '../support/search-engines.js';
import { detectionScaleSuite } from './detection-scale-suite.js';

detectionScaleSuite(OPENSEARCH);
