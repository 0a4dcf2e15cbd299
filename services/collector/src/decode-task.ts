/**
 * One decode job: request body → serialised events (and, for the Elasticsearch surface, per-item outcomes). Pure and
 * self-contained so it runs the same inline or on a decode thread (`decoder.ts`): the collector's main thread then only
 * speaks HTTP while parsing, normalising and serialising — most of ingest's CPU — happen beside it.
 */
import { BulwarkError, type ErrorCode, type RecordError } from '@bulwark/schema';
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

function fromItems(items: BulkItem[]): DecodeOutcome {
  const rows: SerializedEvent[] = [];
  const metas: ItemMeta[] = [];
  items.forEach((item, i) => {
    const meta: ItemMeta = { action: item.action, index: item.index };
    if (item.requestedAction !== undefined) meta.requestedAction = item.requestedAction;
    if (item.id !== undefined) meta.id = item.id;
    if (item.error) meta.error = item.error;
    else if (item.event) {
      try {
        rows.push(eventToRow(item.event, i));
        meta.id ??= item.event.event.id;
      } catch (err) {
        meta.error = asRecordError(err, i);
      }
    }
    metas.push(meta);
  });
  return { rows, items: metas, errors: [] };
}

function fromResult(result: DecodeResult): DecodeOutcome {
  const rows: SerializedEvent[] = [];
  const errors = [...result.errors];
  result.events.forEach((event, i) => {
    try {
      rows.push(eventToRow(event, i));
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
        return fromItems(decodeBulk(body, { ...o, ...(task.index ? { defaultIndex: task.index } : {}) }));
      case 'doc':
        return fromItems([decodeSingleDoc(body, task.index ?? 'logs-generic-default', task.id, o)]);
      case 'k8s-audit':
        return fromResult(decodeK8sAudit(body, o));
      case 'falco':
        return fromResult(decodeFalco(body, o));
      case 'loki':
        return fromResult(decodeLokiPush(body, task.contentType ?? 'application/json', o));
      case 'container-logs':
        return fromResult(decodeContainerLogs(body, { ...o, ...(task.path ? { path: task.path } : {}) }));
      case 'events':
        return fromResult(decodeGenericEvents(body, o));
    }
  } catch (err) {
    if (err instanceof BulwarkError) {
      return { rows: [], errors: [], failure: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
    }
    throw err;
  }
}

export default runDecodeTask;
