/**
 * One decode job: request body → serialised events (and, for the Elasticsearch surface, per-item outcomes). Pure and
 * self-contained so it runs the same inline or on a decode thread (`decoder.ts`): the collector's main thread then only
 * speaks HTTP while parsing, normalising and serialising — most of ingest's CPU — happen beside it.
 */
import { BulwarkError, type ErrorCode, type Event, type EventProvenance, type RecordError } from '@bulwark/schema';
import {
  decodeBulk,
  decodeContainerLogs,
  decodeFalco,
  decodeGenericEvents,
  decodeK8sAudit,
  decodeLokiPush,
  decodeSingleDoc,
  type BulkItem,
  type DecodeOptions,
  type DecodeResult,
} from '@bulwark/ingest';
import { eventToRow, type SerializedEvent } from '@bulwark/store';
import { stampProvenance } from './stamp.js';

export type DecodeKind = 'bulk' | 'doc' | 'k8s-audit' | 'falco' | 'loki' | 'container-logs' | 'events';

export interface DecodeTask {
  kind: DecodeKind;
  body: Uint8Array;
  options: DecodeOptions;
  /** Loki: the media type (JSON or protobuf). */
  contentType?: string;
  /** Container logs: the log file path naming pod, namespace and container. */
  path?: string;
  /** Bulk: the URL's index; doc: the target index. */
  index?: string;
  /** Doc: the URL's id. */
  id?: string;
  /**
   * Stamped on every event at `bulwark.provenance` (`stamp.ts`), whatever the payload says: computed by the route from
   * the request (route, token), never from the body.
   */
  provenance: EventProvenance;
}

/** A bulk item without its event: what the response needs. */
export interface ItemMeta {
  action: 'index' | 'create';
  requestedAction?: string;
  index: string;
  id?: string;
  error?: RecordError;
}

export interface DecodeOutcome {
  /** Good records, serialised, in request order. */
  rows: SerializedEvent[];
  /** Bulk/doc only: one per item; the items without `error` correspond to `rows`, in order. */
  items?: ItemMeta[];
  /** Native protocols: the rejected records. */
  errors: RecordError[];
  /** The whole body was refused (rethrown as a BulwarkError by the caller). */
  failure?: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

/** Provenance and receive time on each event, just before it is serialised. */
function stamped(event: Event, task: DecodeTask): Event {
  stampProvenance(event, task.provenance, (task.options.now ?? new Date()).toISOString());
  return event;
}

function fromItems(items: BulkItem[], task: DecodeTask): DecodeOutcome {
  const rows: SerializedEvent[] = [];
  const metas: ItemMeta[] = [];
  items.forEach((item, i) => {
    const meta: ItemMeta = { action: item.action, index: item.index };
    if (item.requestedAction !== undefined) meta.requestedAction = item.requestedAction;
    if (item.id !== undefined) meta.id = item.id;
    if (item.error) meta.error = item.error;
    else if (item.event) {
      try {
        rows.push(eventToRow(stamped(item.event, task), i));
        meta.id ??= item.event.event.id;
      } catch (err) {
        meta.error = asRecordError(err, i);
      }
    }
    metas.push(meta);
  });
  return { rows, items: metas, errors: [] };
}

function fromResult(result: DecodeResult, task: DecodeTask): DecodeOutcome {
  const rows: SerializedEvent[] = [];
  const errors = [...result.errors];
  result.events.forEach((event, i) => {
    try {
      rows.push(eventToRow(stamped(event, task), i));
    } catch (err) {
      errors.push(asRecordError(err, i));
    }
  });
  return { rows, errors };
}

function asRecordError(err: unknown, index: number): RecordError {
  if (err instanceof BulwarkError) {
    const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
    return { index, code: err.code, message: err.message, ...(field ? { field } : {}) };
  }
  return { index, code: 'BWK_INGEST_BAD_FIELD', message: (err as Error).message };
}

export function runDecodeTask(task: DecodeTask): DecodeOutcome {
  const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
  const o = task.options;
  try {
    switch (task.kind) {
      case 'bulk':
        return fromItems(decodeBulk(body, { ...o, ...(task.index ? { defaultIndex: task.index } : {}) }), task);
      case 'doc':
        return fromItems([decodeSingleDoc(body, task.index ?? 'logs-generic-default', task.id, o)], task);
      case 'k8s-audit':
        return fromResult(decodeK8sAudit(body, o), task);
      case 'falco':
        return fromResult(decodeFalco(body, o), task);
      case 'loki':
        return fromResult(decodeLokiPush(body, task.contentType ?? 'application/json', o), task);
      case 'container-logs':
        return fromResult(decodeContainerLogs(body, { ...o, ...(task.path ? { path: task.path } : {}) }), task);
      case 'events':
        return fromResult(decodeGenericEvents(body, o), task);
    }
  } catch (err) {
    if (err instanceof BulwarkError) {
      return { rows: [], errors: [], failure: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
    }
    throw err;
  }
}

export default runDecodeTask;
