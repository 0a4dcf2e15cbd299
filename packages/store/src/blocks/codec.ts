/**
 * Byte encodings of a block's parts: compressed column text, and the timestamp and arrival-order columns as deltas.
 * Compression is Node's own zlib (Brotli): measured on 20,000 stored audit events in column form it came within 10%
 * of zstd's size at the same speed class (54–59 vs 62 bytes per event), it has a synchronous API (queries run in the
 * calling tick, the writer on its thread), and it needs no native package (docs/ARCHITECTURE.md, "The embedded log
 * store").
 */
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';

/**
 * Brotli quality for column data: 3 costs a quarter less CPU than 4 for about one more byte per stored event (mixed
 * load, measured with the id columns in bytes, `packHexIds`); 2 costs another byte and a half; 5 doubles the time.
 */
export const BROTLI_QUALITY = 3;
/** Below this many bytes compression cannot win back its own framing. */
const RAW_BELOW = 96;

const RAW = 0;
const BROTLI = 1;
/** A column of 128-bit hex ids (`packHexIds`) as their bytes. */
const HEX_IDS = 2;
/** Bytes of one id in a `HEX_IDS` column. */
const HEX_ID_BYTES = 16;
const HEX_ID = /^[0-9a-f]{32}$/;

/** Text (a column's JSON) to stored bytes: a format byte, then the bytes. */
export function packText(text: string): Buffer {
  const raw = Buffer.from(text, 'utf8');
  if (raw.length < RAW_BELOW) return Buffer.concat([Buffer.of(RAW), raw]);
  const packed = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  return Buffer.concat([Buffer.of(BROTLI), packed]);
}

export function unpackText(bytes: Uint8Array): string {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1);
  if (bytes[0] === RAW) return body.toString('utf8');
  if (bytes[0] === HEX_IDS) return hexIdsText(body);
  return brotliDecompressSync(body).toString('utf8');
}

/**
 * A column in which every row holds a 32-character lowercase hex string — the ids Bulwark derives from an event's
 * content (`textId`, `contentId`), trace ids — as 16 bytes per row, uncompressed: the hex text of hashes is random,
 * so the compressor spent a fifth of its time on the mixed load's id column to win back only the hex's own redundancy
 * (18 stored bytes per event, against 16 here). Undefined when any row holds something else; the column is then
 * encoded as usual. `unpackText` gives back the column's ordinary text, so readers see no difference.
 */
export function packHexIds(cells: readonly unknown[]): Buffer | undefined {
  const n = cells.length;
  if (n === 0) return undefined;
  for (let i = 0; i < n; i++) {
    const cell = cells[i];
    if (typeof cell !== 'string' || cell.length !== 32 || !HEX_ID.test(cell)) return undefined;
  }
  const out = Buffer.allocUnsafe(1 + n * HEX_ID_BYTES);
  out[0] = HEX_IDS;
  for (let i = 0; i < n; i++) out.write(cells[i] as string, 1 + i * HEX_ID_BYTES, HEX_ID_BYTES, 'hex');
  return out;
}

/** The JSON array text `encodeColumn` writes for the ids in `body` (every row present, so a plain array). */
function hexIdsText(body: Buffer): string {
  if (body.length % HEX_ID_BYTES !== 0) throw new Error(`a hex id column of ${body.length} bytes is not whole ids`);
  const hex = body.toString('hex');
  const ids: string[] = [];
  for (let at = 0; at < hex.length; at += 2 * HEX_ID_BYTES) ids.push(hex.slice(at, at + 2 * HEX_ID_BYTES));
  return JSON.stringify(ids);
}

function packBytes(raw: Buffer): Buffer {
  if (raw.length < RAW_BELOW) return Buffer.concat([Buffer.of(RAW), raw]);
  const packed = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  return Buffer.concat([Buffer.of(BROTLI), packed]);
}

function unpackBytes(bytes: Uint8Array): Buffer {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1);
  return bytes[0] === RAW ? Buffer.from(body) : brotliDecompressSync(body);
}

/**
 * Integers (epoch ms, arrival numbers) as differences from the previous value, 32-bit when every difference fits
 * (nearly always: rows of a block arrive close together), else as 64-bit floats. Differences of a steady stream are
 * small and repeat, which is what the compressor then removes.
 */
export function packIntegers(values: ArrayLike<number>): Buffer {
  const n = values.length;
  const deltas = new Int32Array(n);
  let fits = true;
  for (let i = 1; i < n; i++) {
    const d = values[i]! - values[i - 1]!;
    if (d > 0x7fffffff || d < -0x80000000 || !Number.isInteger(d)) {
      fits = false;
      break;
    }
    deltas[i] = d;
  }
  if (fits) {
    // The first value goes in front as a float; the differences follow.
    const head = Buffer.alloc(9);
    head[0] = 1;
    head.writeDoubleLE(n > 0 ? values[0]! : 0, 1);
    return packBytes(Buffer.concat([head, Buffer.from(deltas.buffer)]));
  }
  const floats = Float64Array.from(values as ArrayLike<number>);
  return packBytes(Buffer.concat([Buffer.of(2), Buffer.from(floats.buffer)]));
}

export function unpackIntegers(bytes: Uint8Array, rows: number): Float64Array {
  const raw = unpackBytes(bytes);
  const out = new Float64Array(rows);
  if (raw[0] === 2) {
    for (let i = 0; i < rows; i++) out[i] = raw.readDoubleLE(1 + i * 8);
    return out;
  }
  let value = raw.readDoubleLE(1);
  for (let i = 0; i < rows; i++) {
    if (i > 0) value += raw.readInt32LE(9 + i * 4);
    out[i] = value;
  }
  return out;
}
