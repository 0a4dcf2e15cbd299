/**
 * The Elasticsearch document API as two decoders over `bulk.ts`: `_bulk` and single documents (`_doc`, `_create`).
 * Their answers are Elasticsearch's (`reply`), so shippers and the official clients work unchanged; the probe and
 * set-up endpoints shippers call first are not decoders (the collector's `es-info.ts`).
 */
import { BulwarkError } from '@bulwark/schema';
import { decodeBulk, decodeSingleDoc, DEFAULT_BULK_INDEX } from './bulk.js';
import { defineDecoder } from './decoder-descriptor.js';

/** What Elasticsearch says to a bulk request without actions; shippers log it as is. */
const NO_REQUESTS = 'Validation Failed: 1: no requests added;';

const NATIVE_DOCS =
  'A document shaped as a native audit Event or Falco alert is mapped natively only for a token explicitly granted ' +
  '`k8s-audit` / `falco` (a file tailer on the control plane), and then speaks for that source; for any other token its ' +
  'shape is recorded as a claim and it speaks for `logs`.';

export const esBulkDecoder = defineDecoder({
  name: 'es-bulk',
  routes: [
    { path: '/_bulk', methods: ['POST', 'PUT'] },
    { path: '/{index}/_bulk', methods: ['POST', 'PUT'] },
  ],
  body: { mediaTypes: ['application/x-ndjson', 'application/json', 'application/vnd.elasticsearch+x-ndjson'], charsets: 'any' },
  source: 'logs',
  // An audit file tailer ships through `_bulk` with a token restricted to `k8s-audit`.
  accepts: ['logs', 'k8s-audit'],
  nativeShapes: true,
  reply: 'es-bulk',
  docs: {
    summary: 'Elasticsearch bulk API as shippers use it (Filebeat, Logstash, Vector, Fluent Bit, clients)',
    description:
      'NDJSON action/source pairs. `index` and `create` are stored (`_index`, `_id` honoured; `_index` else the URL index else ' +
      `\`${DEFAULT_BULK_INDEX}\`); \`delete\`/\`update\` are refused per item. The answer is Elasticsearch 8's \`{took, errors, items}\`: ` +
      '201 created, 409 for a `create` of a stored id, 200 `noop` for an `index` of one, 400 with a reason per bad item; good ' +
      'items are stored whatever their neighbours. CRLF, blank lines and a missing final newline are tolerated. ' +
      NATIVE_DOCS,
  },
  decode: ({ body, options, params }) => {
    if (body.length === 0) throw new BulwarkError('BWK_INGEST_EMPTY', NO_REQUESTS);
    return { items: decodeBulk(body, { ...options, ...(params.index ? { defaultIndex: params.index } : {}) }) };
  },
});

export const esDocDecoder = defineDecoder({
  name: 'es-doc',
  routes: [
    { path: '/{index}/_doc', methods: ['POST'] },
    { path: '/{index}/_doc/{id}', methods: ['POST', 'PUT'] },
    { path: '/{index}/_create/{id}', methods: ['POST', 'PUT'], fixedParams: { op_type: 'create' } },
  ],
  body: { mediaTypes: ['application/json', 'application/vnd.elasticsearch+json'], charsets: 'any' },
  requestParams: { op_type: ['query:op_type'] },
  source: 'logs',
  accepts: ['logs'],
  nativeShapes: true,
  reply: 'es-doc',
  docs: {
    summary: 'Elasticsearch single-document API (`_doc`, `_create`)',
    description:
      'One JSON document, stored under the URL index and id (a content hash when no id is given). `_create` and ' +
      '`?op_type=create` answer 409 for an id already stored; `_doc` answers 200 `noop` for one. The answer is the ' +
      'Elasticsearch document response, its status the HTTP status. ' +
      NATIVE_DOCS,
  },
  decode: ({ body, options, params }) => {
    const item = decodeSingleDoc(body, params.index ?? DEFAULT_BULK_INDEX, params.id, options);
    if (params.op_type === 'create') item.action = 'create';
    return { items: [item] };
  },
});
