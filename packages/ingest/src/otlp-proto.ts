/**
 * OTLP logs in both encodings, brought to one plain shape (`OtlpRequest`) so one mapping (`otlp.ts`) serves both.
 * Message and field numbers follow opentelemetry-proto's collector/logs/v1 `ExportLogsServiceRequest` and the
 * logs/v1, common/v1 and resource/v1 messages it uses; OTLP/JSON is the protobuf JSON mapping of the same messages
 * (lowerCamelCase names, 64-bit integers as decimal strings, trace and span ids as hex — not base64, by the OTLP
 * specification — and other bytes as base64). String fields are read as `bytes` from protobuf so that invalid UTF-8 is
 * refused per record instead of being silently replaced.
 */
import protobuf from 'protobufjs';
import { isUtf8 } from 'node:buffer';
import { RecordProblem } from './problems.js';

const kv = { key: { type: 'bytes', id: 1 }, value: { type: 'AnyValue', id: 2 } };
const root = protobuf.Root.fromJSON({
  nested: {
    ExportLogsServiceRequest: { fields: { resourceLogs: { rule: 'repeated', type: 'ResourceLogs', id: 1 } } },
    ResourceLogs: { fields: { resource: { type: 'Resource', id: 1 }, scopeLogs: { rule: 'repeated', type: 'ScopeLogs', id: 2 } } },
    Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
    ScopeLogs: { fields: { scope: { type: 'InstrumentationScope', id: 1 }, logRecords: { rule: 'repeated', type: 'LogRecord', id: 2 } } },
    InstrumentationScope: { fields: { name: { type: 'bytes', id: 1 }, version: { type: 'bytes', id: 2 }, attributes: { rule: 'repeated', type: 'KeyValue', id: 3 } } },
    LogRecord: {
      fields: {
        timeUnixNano: { type: 'fixed64', id: 1 },
        severityNumber: { type: 'int32', id: 2 },
        severityText: { type: 'bytes', id: 3 },
        body: { type: 'AnyValue', id: 5 },
        attributes: { rule: 'repeated', type: 'KeyValue', id: 6 },
        flags: { type: 'fixed32', id: 8 },
        traceId: { type: 'bytes', id: 9 },
        spanId: { type: 'bytes', id: 10 },
        observedTimeUnixNano: { type: 'fixed64', id: 11 },
        eventName: { type: 'bytes', id: 12 },
      },
    },
    AnyValue: {
      oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
      fields: {
        stringValue: { type: 'bytes', id: 1 },
        boolValue: { type: 'bool', id: 2 },
        intValue: { type: 'int64', id: 3 },
        doubleValue: { type: 'double', id: 4 },
        arrayValue: { type: 'ArrayValue', id: 5 },
        kvlistValue: { type: 'KeyValueList', id: 6 },
        bytesValue: { type: 'bytes', id: 7 },
      },
    },
    ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
    KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
    KeyValue: { fields: kv },
    // The answer: empty on full success, `partialSuccess` when records were rejected.
    ExportLogsServiceResponse: { fields: { partialSuccess: { type: 'ExportLogsPartialSuccess', id: 1 } } },
    ExportLogsPartialSuccess: { fields: { rejectedLogRecords: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } } },
  },
});
const Request = root.lookupType('ExportLogsServiceRequest');
const Response = root.lookupType('ExportLogsServiceResponse');

/** A value as the mapping sees it: OTLP's AnyValue made plain (bytes as base64, 64-bit integers as numbers or strings). */
export type OtlpValue = string | number | boolean | null | OtlpValue[] | { [key: string]: OtlpValue };

/** The wire message with strings still as bytes (protobuf) or text (JSON): `otlp.ts` reads both through `text`. */
export interface OtlpRequest {
  resourceLogs?: Array<{
    resource?: { attributes?: unknown[] };
    scopeLogs?: Array<{ scope?: { name?: unknown; version?: unknown }; logRecords?: unknown[] }>;
  }>;
}

/** Decodes a protobuf body; a body that is not the message is refused whole by the caller. */
export function decodeProtoRequest(body: Uint8Array): OtlpRequest {
  return Request.toObject(Request.decode(body), { longs: String, defaults: false, oneofs: false }) as OtlpRequest;
}

/** Text of a string field: bytes from protobuf (checked UTF-8) or a string from JSON; anything else is a problem. */
export function text(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) {
    const buf = Buffer.from(value.buffer, value.byteOffset, value.length);
    if (!isUtf8(buf)) throw new RecordProblem('BWK_INGEST_BAD_ENCODING', `${field} is not valid UTF-8`, field);
    return buf.toString('utf8');
  }
  throw new RecordProblem('BWK_INGEST_BAD_FIELD', `${field} must be a string`, field);
}

/** A trace or span id: raw bytes (protobuf) or hex (OTLP/JSON) to lowercase hex; all-zero means absent. */
export function hexId(value: unknown, bytes: number, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let hex: string;
  if (value instanceof Uint8Array) hex = Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex');
  else if (typeof value === 'string' && /^[0-9a-fA-F]*$/.test(value)) hex = value.toLowerCase();
  else throw new RecordProblem('BWK_INGEST_BAD_FIELD', `${field} must be ${bytes} bytes as hex`, field);
  if (hex.length === 0) return undefined;
  if (hex.length !== bytes * 2) throw new RecordProblem('BWK_INGEST_BAD_FIELD', `${field} must be ${bytes} bytes, got ${hex.length / 2}`, field);
  return /^0+$/.test(hex) ? undefined : hex;
}

/** OTLP's answer in the request's encoding: empty, or the rejected count and the first problem. */
export function encodeResponse(protobufBody: boolean, rejected: number, message: string): { body: Buffer; type: string } {
  const partial = rejected > 0 ? { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: message } } : {};
  if (!protobufBody) return { body: Buffer.from(JSON.stringify(partial)), type: 'application/json' };
  return { body: Buffer.from(Response.encode(Response.fromObject(partial)).finish()), type: 'application/x-protobuf' };
}
