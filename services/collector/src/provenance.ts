/**
 * Provenance (issue 11): the collector, not the payload, says where every event came from. Each ingest route has the
 * source kinds it can speak for; a token restricted by `sources` to other kinds is refused there (403
 * BWK_AUTH_SOURCE_FORBIDDEN); every event the route stores carries `bulwark.provenance` — route, protocol, the source
 * kind the event speaks for, the token (id and name) and the kinds that token may speak for.
 *
 * Source of an event: the audit webhook → `k8s-audit`; the Falco route → `falco`; everything a workload or shipper
 * writes (`_bulk`, `_doc`, Loki, container lines, generic events) → `logs` — except a native audit Event or Falco
 * alert in a `_bulk`/`_doc` body sent with a token explicitly granted `k8s-audit`/`falco` (a file tailer on the control
 * plane), which is mapped natively and speaks for that source. The decoders make sure only such a document can carry
 * the `kubernetes.audit` / `falco.alerts` dataset (`packages/ingest/src/trust.ts`), so the dataset decides it
 * (`stamp.ts`, run by the decode task so it works inline and on decode threads alike).
 */
import type { Request, RequestHandler } from 'express';
import type { EventProvenance, SourceKind } from '@bulwark/schema';
import { explicitlyGranted, requireSource, tokenSources } from '@bulwark/http';

export type IngestProtocol = 'k8s-audit' | 'falco' | 'es-bulk' | 'es-doc' | 'loki' | 'container-logs' | 'events';

export interface IngestRoute {
  /** The route as documented (`/{index}/_bulk`): never the request's own path, which the sender chooses. */
  route: string;
  protocol: IngestProtocol;
  /** What the route's events speak for unless a native mapping says otherwise. */
  source: SourceKind;
  /** The kinds a restricted token must hold one of to use the route. */
  accepts: readonly SourceKind[];
}

/** The routes and what they speak for. `_bulk` also takes an audit file tailer's token (`[k8s-audit]`). */
export function ingestRoute(route: string, protocol: IngestProtocol): IngestRoute {
  switch (protocol) {
    case 'k8s-audit':
      return { route, protocol, source: 'k8s-audit', accepts: ['k8s-audit'] };
    case 'falco':
      return { route, protocol, source: 'falco', accepts: ['falco'] };
    case 'es-bulk':
      return { route, protocol, source: 'logs', accepts: ['logs', 'k8s-audit'] };
    default:
      return { route, protocol, source: 'logs', accepts: ['logs'] };
  }
}

/** The route's source gate (after the scope check). */
export function sourceGate(r: IngestRoute): RequestHandler {
  return requireSource(r.route, r.accepts);
}

/** The request's provenance (its `source` is the route's; `sourceOfEvent` refines it per event). */
export function provenanceOf(req: Request, r: IngestRoute): EventProvenance {
  const principal = req.principal!;
  return {
    route: r.route,
    protocol: r.protocol,
    source: r.source,
    token: { id: principal.tokenId, name: principal.name.slice(0, 256) },
    token_sources: tokenSources(principal),
  };
}

/** The native shapes a `_bulk`/`_doc` document of this request may be mapped as: the token's explicit grants. */
export function nativeSourcesOf(req: Request): Array<'k8s-audit' | 'falco'> {
  const principal = req.principal!;
  return (['k8s-audit', 'falco'] as const).filter((kind) => explicitlyGranted(principal, kind));
}
