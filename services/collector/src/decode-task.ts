/**
 * One decode job: request body → serialised events (and, for the Elasticsearch document API, per-item outcomes). Pure
 * and self-contained so it runs the same inline or on a decode thread (`decoder.ts`): the collector's main thread then
 * only speaks HTTP while parsing, normalising and serialising — most of ingest's CPU — happen beside it. Dispatch is by
 * name through the task's decoder registry (`@bulwark/ingest`'s `DECODERS` unless a test built its own), which a thread
 * loads from the registry's origin before its first task.
 */
import { BulwarkError, type ErrorCode, type Event, type EventProvenance, type RecordError } from '@bulwark/schema';
import { loadRegistry, registryAt, type BulkItem, type DecodeOptions, type DecodeResult, type RegistryOrigin } from '@bulwark/ingest';
import type { ColumnBatch, SerializedEvent } from '@bulwark/store';
import { ItemPacker, type ItemMeta, type PackedItems } from './bulk-items.js';
import { stampProvenance, type SharedProvenance } from './stamp.js';
import { eventSink, type StoreForm } from './store-batch.js';

/** Everything a decode thread needs, all structured-cloneable (no functions: the decoder is found by name). */
export interface DecodeTask {
  /** Where the registry holding `decoder` is defined. */
  registry: RegistryOrigin;
  /** The decoder's name in that registry. */
  decoder: string;
  body: Uint8Array;
  options: DecodeOptions;
  /** The Content-Type without parameters. */
  mediaType: string;
  /** Path placeholders, the decoder's declared request parameters and the route's fixed ones. */
  params: Record<string, string>;
  /**
   * Stamped on every event at `bulwark.provenance` (`stamp.ts`), whatever the payload says: computed by the route from
   * the request (route, token), never from the body.
   */
  provenance: EventProvenance;
  /** How the good events are serialised for the store (`store-batch.ts`); default `rows`. */
  storeForm?: StoreForm;
}

export type { ItemMeta } from './bulk-items.js';

export interface DecodeOutcome {
  /** Good records serialised as rows, in request order; empty when `columns` holds them. */
  rows: SerializedEvent[];
  /** Good records laid out as the embedded store's blocks (the `columns` store form), positions in request order. */
  columns?: ColumnBatch;
  /**
   * Bulk/doc only: one per item, packed (`bulk-items.ts`); the items without `error` correspond to the good records
   * (`rows` or `columns`), in order.
   */
  items?: PackedItems;
  /** Native protocols: the rejected records. */
  errors: RecordError[];
  /** The whole body was refused (rethrown as a BulwarkError by the caller). */
  failure?: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

interface Stamping {
  provenance: EventProvenance;
  receivedIso: string;
  /** The decoder maps native audit/Falco documents for granted tokens: the event's dataset may refine its source. */
  nativeShapes: boolean;
  form: StoreForm;
  shared: SharedProvenance;
}

/** Provenance and receive time on each event, just before it is serialised. */
function stamped(event: Event, s: Stamping): Event {
  stampProvenance(event, s.provenance, s.receivedIso, s.nativeShapes, s.shared);
  return event;
}

function fromItems(items: BulkItem[], task: Stamping): DecodeOutcome {
  const sink = eventSink(task.form);
  const packer = new ItemPacker();
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    let error = item.error;
    let id = item.id;
    if (!error && item.event) {
      try {
        sink.add(stamped(item.event, task), i);
        id ??= item.event.event.id;
      } catch (err) {
        error = asRecordError(err, i);
      }
    }
    // The common item packed as its answer text; keys of the others in this order: action, index, requestedAction,
    // id, error (those set).
    if (item.requestedAction === undefined && id !== undefined && !error && typeof item.index === 'string') {
      packer.plain(item.action, item.index, id);
      continue;
    }
    const meta: ItemMeta = { action: item.action, index: item.index };
    if (item.requestedAction !== undefined) meta.requestedAction = item.requestedAction;
    if (id !== undefined) meta.id = id;
    if (error) meta.error = error;
    packer.add(meta);
  }
  return { ...sink.finish(), items: packer.finish(), errors: [] };
}

function fromResult(result: DecodeResult, task: Stamping): DecodeOutcome {
  const sink = eventSink(task.form);
  const errors = [...result.errors];
  result.events.forEach((event, i) => {
    try {
      sink.add(stamped(event, task), i);
    } catch (err) {
      errors.push(asRecordError(err, i));
    }
  });
  return { ...sink.finish(), errors };
}

function asRecordError(err: unknown, index: number): RecordError {
  if (err instanceof BulwarkError) {
    const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
    return { index, code: err.code, message: err.message, ...(field ? { field } : {}) };
  }
  return { index, code: 'BWK_INGEST_BAD_FIELD', message: (err as Error).message };
}

/** Runs a task in this thread; its registry must be built here already (the worker entry loads it first). */
export function runDecodeTask(task: DecodeTask): DecodeOutcome {
  const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
  try {
    const decoder = registryAt(task.registry).get(task.decoder);
    if (!decoder) throw new BulwarkError('BWK_INTERNAL', `no decoder named ${task.decoder} in ${task.registry.export}`, { decoder: task.decoder });
    const decoded = decoder.decode({ body, options: task.options, mediaType: task.mediaType, params: task.params });
    const stamping: Stamping = {
      provenance: task.provenance,
      receivedIso: (task.options.now ?? new Date()).toISOString(),
      nativeShapes: decoder.nativeShapes === true,
      form: task.storeForm ?? 'rows',
      shared: new Map(),
    };
    return 'items' in decoded ? fromItems(decoded.items, stamping) : fromResult(decoded, stamping);
  } catch (err) {
    if (err instanceof BulwarkError) return failed(err);
    throw err;
  }
}

/** A refusal travels back as data: a thread hop would turn a thrown BulwarkError into a plain Error. */
function failed(err: BulwarkError): DecodeOutcome {
  return { rows: [], errors: [], failure: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

/** Loads the task's registry on first use in this thread (an import, then cached), then runs the task. */
export async function loadAndRunDecodeTask(task: DecodeTask): Promise<DecodeOutcome> {
  try {
    await loadRegistry(task.registry);
  } catch (err) {
    if (err instanceof BulwarkError) return failed(err);
    throw err;
  }
  return runDecodeTask(task);
}

export default loadAndRunDecodeTask;
