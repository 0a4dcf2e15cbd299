/**
 * @bulwark/ingest — one decoder per protocol, each self-describing (`decoder-descriptor.ts`) and listed in the registry
 * (`decoders.ts`); decoding is a pure function from a (decompressed) request body to events plus per-record errors.
 * Whole-body failures throw `BulwarkError` with a catalogue code; one bad record is one `RecordError` and the rest of
 * the batch still decodes. See each module's comment for the protocol and mapping.
 */
export type { DecodeOptions, DecodeResult } from './options.js';
export { DEFAULT_MAX_DEPTH } from './options.js';
export { decodeBulk, decodeSingleDoc, DEFAULT_BULK_INDEX, type BulkItem } from './bulk.js';
export { bulkCuts, MIN_CUT_BYTES } from './bulk-cut.js';
export { normalizeDocument, parseDataStreamName, TIMESTAMP_FAILURE_TAG, type NormalizeContext } from './normalize.js';
export { decodeK8sAudit, AUDIT_DATASET, isNativeAuditEvent } from './k8s-audit.js';
export { decodeFalco, FALCO_DATASET, isFalcoAlertShape } from './falco.js';
export { decodeLokiPush, LOKI_DATASET, DEFAULT_MAX_DECOMPRESSED_BYTES, type LokiOptions } from './loki.js';
export { decodeContainerLogs, PARTIAL_TAG } from './container-logs.js';
export { parseContainerLogPath, type ContainerPathInfo } from './container-path.js';
export { decodeGenericEvents, GENERIC_DATASET } from './generic.js';
export { contentId, canonicalJson, textId } from './content-id.js';
export { assertSafeRecord, isForbiddenKey } from './safety.js';
export { toIsoTimestamp } from './timestamp.js';
export { parseLabelSet, LabelSyntaxError } from './prom-labels.js';
export { PushRequestType } from './loki-proto.js';
export {
  isReservedDataset,
  claimedDataset,
  IDENTITY_FIELDS,
  IDENTITY_CONFLICT_TAG,
  RESERVED_CLAIM_TAG,
  CLAIMED_DATASET_PREFIX,
  type NativeShape,
} from './trust.js';
export {
  defineDecoder,
  routeParams,
  type IngestDecoder,
  type DecoderRoute,
  type DecodeInput,
  type DecodedBody,
  type DecoderReply,
  type DecoderLimits,
  type BodyFormat,
  type IngestMethod,
  type ParamSource,
} from './decoder-descriptor.js';
export { decoderRegistry, registryAt, loadRegistry, type DecoderRegistry, type RegistryOrigin } from './decoder-registry.js';
export { endpointRow, endpointRows, withEndpointRows, taggedRows, decoderReference } from './decoder-docs.js';
export { DECODERS } from './decoders.js';
export { esBulkDecoder, esDocDecoder } from './es-documents.js';
export { k8sAuditDecoder } from './k8s-audit.js';
export { falcoDecoder } from './falco.js';
export { lokiDecoder } from './loki.js';
export { decodeOtlpLogs, encodeOtlpResponse, otlpLogsDecoder, OTLP_DATASET } from './otlp.js';
export { kubernetesEvent, K8S_EVENTS_DATASET } from './k8s-events.js';
export { decodedFieldSamples } from './field-samples.js';
export { containerLogsDecoder } from './container-logs.js';
export { genericEventsDecoder } from './generic.js';
