/**
 * Options every decoder takes, resolved once per request, and the shapes decoders return. Kept apart from the
 * decoders so the collector can build options without importing a protocol.
 */
import { TextDecoder } from 'node:util';
import { BulwarkError, type Event, type RecordError } from '@bulwark/schema';

export interface DecodeOptions {
  /** Clock for `event.ingested` and for fallback timestamps; default `new Date()`. Tests pin it. */
  now?: Date;
  /** Charset from Content-Type; default `utf-8`. Any WHATWG encoding label Node's TextDecoder knows. */
  charset?: string;
  /** Deepest nesting a record may have (the record itself is depth 1); default 64. */
  maxDepth?: number;
  /** Keep the raw record text in `event.original`; default false (it doubles storage). */
  keepOriginal?: boolean;
  /**
   * `_bulk`/`_doc` only: the native shapes a document may be mapped as (a native audit Event → `kubernetes.audit`, a
   * Falco alert → `falco.alerts`) — the sources the sending token was explicitly granted. Default none: such a
   * document is an ordinary log document and its shape is recorded as a claim (see `trust.ts`).
   */
  nativeSources?: readonly ('k8s-audit' | 'falco')[];
}

/** Events that decoded plus one error per record that did not; the caller stores the first and reports the second. */
export interface DecodeResult {
  events: Event[];
  errors: RecordError[];
}

export const DEFAULT_MAX_DEPTH = 64;

/** Options with defaults applied and the charset turned into a decoder. */
export interface ResolvedOptions {
  now: Date;
  nowIso: string;
  maxDepth: number;
  keepOriginal: boolean;
  nativeSources: readonly ('k8s-audit' | 'falco')[];
  /** WHATWG canonical name, e.g. `utf-8`, `utf-16le`, `windows-1252`. */
  encoding: string;
  decoder: TextDecoder;
}

const decoders = new Map<string, TextDecoder>();

/**
 * Turns a Content-Type charset into a fatal TextDecoder. A fatal decoder throws on the first invalid byte sequence,
 * which is what lets one bad line become one record error instead of silently stored U+FFFD characters.
 */
export function decoderFor(charset: string | undefined): TextDecoder {
  const label = (charset ?? 'utf-8').trim().replace(/^"(.*)"$/, '$1').toLowerCase() || 'utf-8';
  let decoder = decoders.get(label);
  if (!decoder) {
    try {
      decoder = new TextDecoder(label, { fatal: true });
    } catch {
      throw new BulwarkError('BWK_INGEST_UNSUPPORTED_MEDIA_TYPE', `charset "${charset}" is not supported`, { charset });
    }
    decoders.set(label, decoder);
  }
  return decoder;
}

export function resolveOptions(opts: DecodeOptions | undefined): ResolvedOptions {
  const now = opts?.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new TypeError('DecodeOptions.now is an invalid Date');
  const maxDepth = opts?.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1) throw new TypeError('DecodeOptions.maxDepth must be a positive integer');
  const decoder = decoderFor(opts?.charset);
  return {
    now,
    nowIso: now.toISOString(),
    maxDepth,
    keepOriginal: opts?.keepOriginal ?? false,
    nativeSources: opts?.nativeSources ?? [],
    encoding: decoder.encoding,
    decoder,
  };
}
