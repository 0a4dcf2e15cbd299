// services: opensearch redis k8s
/** Response in scale mode on OpenSearch: responder-scale-suite.ts. */
import { OPENSEARCH } from '../support/search-engines.js';
import { responderScaleSuite } from './responder-scale-suite.js';

responderScaleSuite(OPENSEARCH);
