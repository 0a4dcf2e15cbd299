// services: elasticsearch opensearch redis
/** Detection end to end in scale mode on Elasticsearch: detection-scale-suite.ts. */
import { ELASTICSEARCH } from '../support/search-engines.js';
import { detectionScaleSuite } from './detection-scale-suite.js';

detectionScaleSuite(ELASTICSEARCH);
