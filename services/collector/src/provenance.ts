/**
 * Provenance: the collector, not the payload, says where every event came from. Each ingest route has the source kinds
 * it can speak for (its decoder's descriptor: `source`, `accepts`); a token restricted by `sources` to other kinds is
 * refused there (403 BWK_AUTH_SOURCE_FORBIDDEN); every event the route stores carries `bulwark.provenance` — route,
 * protocol (the decoder's name), the source kind the event speaks for, the token (id and name) and the kinds that
 * token may speak for.
 *
 * Source of an event: the audit webhook → `k8s-audit`; the Falco route → `falco`; everything a workload or shipper
 * writes (`_bulk`, `_doc`, Loki, container lines, generic events) → `logs` — except a native audit Event or Falco
 * alert in a `_bulk`/`_doc` body sent with a token explicitly granted `k8s-audit`/`falco` (a file tailer on the control
 * plane), which is mapped natively and speaks for that source (decoders whose descriptor sets `nativeShapes`). The
 * decoders make sure only such a document can carry the `kubernetes.audit` / `falco.alerts` dataset
 * (`packages/ingest/src/trust.ts`), so the dataset decides it (`stamp.ts`, run by the decode task so it works inline
 * and on decode threads alike).
 */
import type { Request, RequestHandler } from 'express';
import type { EventProvenance, SourceKind } from '@bulwark/schema';
import type { DecoderRoute, IngestDecoder } from '@bulwark/ingest';
import { explicitlyGranted, requireSource, tokenSources } from '@bulwark/http';

export interface IngestRoute {
  /** The route as documented (`/{index}/_bulk`): never the request's own path, which the sender chooses. */
  route: string;
  /** The decoder's name. */
  protocol: string;
  /** What the route's events speak for unless a native mapping says otherwise. */
  source: SourceKind;
  /** The kinds a restricted token must hold one of to use the route. */
  accepts: readonly SourceKind[];
}

/** A decoder's route and what it speaks for, from the decoder's descriptor. */
export function ingestRoute(decoder: IngestDecoder, route: DecoderRoute): IngestRoute {
  return { route: route.path, protocol: decoder.name, source: decoder.source, accepts: decoder.accepts };
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
    token: { id: principal.tokenId, name: principal.name.slice(0, 256), ...(principal.credential === 'client-certificate' ? { credential: 'client-certificate' as const } : {}) },
    token_sources: tokenSources(principal),
  };
}

/** The native shapes a `_bulk`/`_doc` document of this request may be mapped as: the token's explicit grants. */
export function nativeSourcesOf(req: Request): Array<'k8s-audit' | 'falco'> {
  const principal = req.principal!;
  return (['k8s-audit', 'falco'] as const).filter((kind) => explicitlyGranted(principal, kind));
}
