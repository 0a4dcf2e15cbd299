/**
 * Loki's protobuf push body: a snappy *block* (not framed) compressed `logproto.PushRequest`, as Promtail, Grafana
 * Alloy and the Loki Docker driver send it with `Content-Type: application/x-protobuf`. Message definitions follow
 * Loki's pkg/push/push.proto:
 *
 *   message PushRequest   { repeated StreamAdapter streams = 1; }
 *   message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
 *   message EntryAdapter  { google.protobuf.Timestamp timestamp = 1; string line = 2;
 *                           repeated LabelPairAdapter structuredMetadata = 3; }
 *   message LabelPairAdapter { string name = 1; string value = 2; }
 *
 * The string fields are declared `bytes` here — the wire format is identical (length-delimited) — so that we see
 * the raw bytes and can reject invalid UTF-8 per entry, which protobufjs's string decoding would silently mangle.
 */
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import { BulwarkError } from '@bulwark/schema';

const root = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        PushRequest: { fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } } },
        StreamAdapter: {
          fields: {
            labels: { type: 'bytes', id: 1 },
            entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
            hash: { type: 'uint64', id: 3 },
          },
        },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'Timestamp', id: 1 },
            line: { type: 'bytes', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
        LabelPairAdapter: { fields: { name: { type: 'bytes', id: 1 }, value: { type: 'bytes', id: 2 } } },
        // google.protobuf.Timestamp, inlined: same field numbers and types.
        Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
      },
    },
  },
});

/** The PushRequest type; tests use it to encode realistic bodies. */
export const PushRequestType = root.lookupType('logproto.PushRequest');

/** int64 as protobufjs returns it: a number, or a Long when the `long` package is installed. */
export type Int64 = number | { toNumber(): number };

export interface ProtoLabelPair {
  name: Uint8Array;
  value: Uint8Array;
}
export interface ProtoEntry {
  timestamp?: { seconds?: Int64; nanos?: number } | null;
  line?: Uint8Array;
  structuredMetadata?: ProtoLabelPair[];
}
export interface ProtoStream {
  labels?: Uint8Array;
  entries?: ProtoEntry[];
}

export function int64ToNumber(v: Int64 | undefined): number {
  if (v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/**
 * Snappy's worst-case expansion: a 3-byte copy emits at most 64 bytes. A body claiming more than that is a
 * decompression bomb (or garbage) and is refused before the output buffer is allocated.
 */
const SNAPPY_MAX_RATIO = 22;

/** Uncompresses and decodes a push body; any failure is BWK_INGEST_BAD_PROTOBUF naming the stage. */
export function decodePushRequest(body: Buffer, maxBytes: number): ProtoStream[] {
  let raw: Uint8Array;
  try {
    raw = snappy.uncompress(new Uint8Array(body.buffer, body.byteOffset, body.length), Math.min(maxBytes, body.length * SNAPPY_MAX_RATIO + 64));
  } catch (err) {
    throw new BulwarkError('BWK_INGEST_BAD_PROTOBUF', `the body is not valid snappy-compressed data: ${(err as Error).message}`, {
      stage: 'snappy',
    });
  }
  try {
    const message = PushRequestType.decode(raw) as unknown as { streams?: ProtoStream[] };
    return message.streams ?? [];
  } catch (err) {
    throw new BulwarkError('BWK_INGEST_BAD_PROTOBUF', `the body is not a valid logproto.PushRequest: ${(err as Error).message}`, {
      stage: 'protobuf',
    });
  }
}
