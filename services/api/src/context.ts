/**
 * "Show context": the events just before and after one event, on the same entity or across all sources. The entity's
 * query is built from the fields the decoders really write (packages/ingest): audit events about a pod carry
 * `kubernetes.namespace` + `kubernetes.pod.name` (never the uid, which only the pod object holds); Falco alerts and
 * container log lines carry those and `kubernetes.pod.uid`, `container.id`; audit events carry the caller in
 * `user.name` (a service account as `system:serviceaccount:<ns>:<name>`) and `source.ip`; Falco's `user.name` is the
 * Unix user. The query is answered too, so the console can open the same view in the explorer. The events around the
 * anchor on that query are the store's `LogStore.around` (ties at the anchor's instant split by arrival).
 */
import { BulwarkError, type Event } from '@bulwark/schema';
import { valuesOf } from './fields.js';

export const CONTEXT_BY = ['pod', 'container', 'user', 'service_account', 'source_ip', 'all'] as const;
export type ContextBy = (typeof CONTEXT_BY)[number];

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

export function badContext(by: ContextBy, id: string): BulwarkError {
  return new BulwarkError('BWK_BAD_PARAM', `parameter "by": event "${id}" carries no ${by.replace('_', ' ')} to show context for`, {
    param: 'by',
  });
}
