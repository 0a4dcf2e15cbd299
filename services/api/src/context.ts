/**
 * "Show context": the events just before and after one event, on the same entity or across all sources. The entity's
 * query is built from the fields the decoders really write (packages/ingest): audit events about a pod carry
 * `kubernetes.namespace` + `kubernetes.pod.name` (never the uid, which only the pod object holds); Falco alerts and
 * container log lines carry those and `kubernetes.pod.uid`, `container.id`; audit events carry the caller in
 * `user.name` (a service account as `system:serviceaccount:<ns>:<name>`) and `source.ip`; Falco's `user.name` is the
 * Unix user. The query is answered too, so the console can open the same view in the explorer.
 */
import { BulwarkError, type Event } from '@bulwark/schema';
import { parseQuery, type LogStore } from '@bulwark/store';
import { valuesOf } from './fields.js';

export const CONTEXT_BY = ['pod', 'container', 'user', 'service_account', 'source_ip', 'all'] as const;
export type ContextBy = (typeof CONTEXT_BY)[number];

/** Events sharing the anchor's timestamp read at most; beyond it the window is cut there (and says so). */
const MAX_TIES = 10_000;

/** A double-quoted value of the query language: `\` and `"` escaped (packages/store SEARCH.md). */
export function quote(value: string | number | boolean): string {
  return `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

const first = (event: Event, field: string): string | undefined => {
  const value = valuesOf(event, field)[0];
  return value === undefined || value === '' ? undefined : String(value);
};

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/** The query finding the anchor's entity's events; null when the anchor carries no such entity. */
export function entityQuery(anchor: Event, by: ContextBy): string | null {
  switch (by) {
    case 'all':
      return '';
    case 'pod': {
      const ns = first(anchor, 'kubernetes.namespace');
      const name = first(anchor, 'kubernetes.pod.name');
      const uid = first(anchor, 'kubernetes.pod.uid');
      // The indexed field first: the embedded store tests an AND's terms in order, and the pod name's is cheap.
      const byName = ns && name ? `(kubernetes.pod.name:${quote(name)} AND kubernetes.namespace:${quote(ns)})` : null;
      // The uid tells a pod from an earlier one of the same name (a StatefulSet's web-0); audit events lack it, so
      // both are asked for.
      if (uid && byName) return `kubernetes.pod.uid:${quote(uid)} OR ${byName}`;
      return uid ? `kubernetes.pod.uid:${quote(uid)}` : byName;
    }
    case 'container': {
      const id = first(anchor, 'container.id');
      if (id) return `container.id:${quote(id)}`;
      const ns = first(anchor, 'kubernetes.namespace');
      const pod = first(anchor, 'kubernetes.pod.name');
      const name = first(anchor, 'kubernetes.container.name');
      return ns && pod && name
        ? `kubernetes.pod.name:${quote(pod)} AND kubernetes.namespace:${quote(ns)} AND kubernetes.container.name:${quote(name)}`
        : null;
    }
    case 'user': {
      const name = first(anchor, 'user.name');
      return name ? `user.name:${quote(name)}` : null;
    }
    case 'service_account': {
      const name = first(anchor, 'user.name');
      return name && SERVICE_ACCOUNT.test(name) ? `user.name:${quote(name)}` : null;
    }
    case 'source_ip': {
      const ip = first(anchor, 'source.ip');
      return ip ? `source.ip:${quote(ip)}` : null;
    }
  }
}

/** The entity the console offers first: the pod, else the container, the caller, the address, else everything. */
export function defaultBy(anchor: Event): ContextBy {
  for (const by of ['pod', 'container', 'user', 'source_ip'] as const) if (entityQuery(anchor, by)) return by;
  return 'all';
}

export interface ContextWindow {
  before: Event[];
  after: Event[];
  /** True when more events shared the anchor's timestamp than were read (MAX_TIES). */
  truncated: boolean;
}

/**
 * `before` events older than the anchor and `after` newer, both oldest first. Events with the anchor's own timestamp
 * are ordered as the store orders ties (arrival) and split around the anchor, so none is lost or shown twice: the
 * cursors of the port are opaque, so the ties are read as their own millisecond and the rest from the next one on.
 */
export async function contextWindow(store: LogStore, anchor: Event, q: string, before: number, after: number): Promise<ContextWindow> {
  const query = parseQuery(q);
  const ts = Date.parse(anchor['@timestamp']);
  const ties: Event[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.search({ query, from: new Date(ts), to: new Date(ts + 1), sort: 'asc', size: 1000, ...(cursor ? { cursor } : {}) });
    ties.push(...page.hits);
    cursor = page.cursor;
  } while (cursor && ties.length < MAX_TIES);
  const at = ties.findIndex((e) => e.event.id === anchor.event.id);
  const tiesBefore = at < 0 ? ties : ties.slice(0, at);
  const tiesAfter = at < 0 ? [] : ties.slice(at + 1);
  const older = tiesBefore.slice(Math.max(0, tiesBefore.length - before));
  const newer = tiesAfter.slice(0, after);
  if (older.length < before) {
    const page = await store.search({ query, to: new Date(ts), sort: 'desc', size: before - older.length });
    older.unshift(...page.hits.reverse());
  }
  if (newer.length < after && !cursor) {
    const page = await store.search({ query, from: new Date(ts + 1), sort: 'asc', size: after - newer.length });
    newer.push(...page.hits);
  }
  return { before: older, after: newer, truncated: cursor !== null };
}

export function badContext(by: ContextBy, id: string): BulwarkError {
  return new BulwarkError('BWK_BAD_PARAM', `parameter "by": event "${id}" carries no ${by.replace('_', ' ')} to show context for`, {
    param: 'by',
  });
}
