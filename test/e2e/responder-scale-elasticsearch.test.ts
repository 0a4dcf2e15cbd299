// services: elasticsearch opensearch redis k8s
/** Response in scale mode on Elasticsearch: responder-scale-suite.ts. */
import { ELASTICSEARCH } from '../support/search-engines.js';
import { responderScaleSuite } from './responder-scale-suite.js';

responderScaleSuite(ELASTICSEARCH);
