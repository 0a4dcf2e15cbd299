/**
 * The decode task's last step on every event (inline or on a decode thread, so it imports no HTTP code): the
 * provenance the route computed (`provenance.ts`), refined per event, and the receive time.
 */
import { AUDIT_DATASET, FALCO_DATASET } from '@bulwark/ingest';
import type { Event, EventProvenance, SourceKind } from '@bulwark/schema';

/**
 * What one decoded event speaks for (the rule is in `provenance.ts`'s module comment). `nativeShapes`: the decoder
 * maps native audit/Falco documents for explicitly granted tokens (its descriptor says so), and only such a mapping
 * can produce the `kubernetes.audit` / `falco.alerts` dataset there (`packages/ingest/src/trust.ts`).
 */
export function sourceOfEvent(event: Event, base: EventProvenance, nativeShapes: boolean): SourceKind {
  if (!nativeShapes) return base.source;
  const dataset = event.event?.dataset;
  if (dataset === AUDIT_DATASET && base.token_sources.includes('k8s-audit')) return 'k8s-audit';
  if (dataset === FALCO_DATASET && base.token_sources.includes('falco')) return 'falco';
  return 'logs';
}

/**
 * Writes `bulwark.provenance` and `event.ingested` on a decoded event. `bulwark` is rebuilt from the decoder's
 * `claimed` only, so whatever a payload wrote under `bulwark` (already moved to `bulwark.claimed.payload` by the
 * decoders) can never stand as provenance.
 */
export function stampProvenance(event: Event, base: EventProvenance, ingestedIso: string, nativeShapes: boolean, shared?: SharedProvenance): void {
  const claimed = event.bulwark?.claimed;
  const source = sourceOfEvent(event, base, nativeShapes);
  let stamp = shared?.get(source);
  if (!stamp) {
    stamp = { provenance: { ...base, source } };
    shared?.set(source, stamp);
  }
  event.bulwark = claimed ? { provenance: stamp.provenance, claimed } : stamp;
  event.event.ingested = ingestedIso;
}

/**
 * The provenance of one request's events, one per source kind, as the `bulwark` object of an event that claimed
 * nothing: the events are only read after stamping (serialised, or laid out as columns), so they may share it, which
 * spares objects per event.
 */
export type SharedProvenance = Map<SourceKind, { provenance: EventProvenance }>;
