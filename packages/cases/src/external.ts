/**
 * Alerts from other systems (docs/ARCHITECTURE.md, "What acts without a person"): `POST /v1/alerts` and the Alertmanager webhook. They are recorded, but
 * as what they are — external claims:
 * - `provenance` is Bulwark's: `origin: external`, the route and the token that posted, the receive time, and
 *   `untrusted: [entity, annotations, labels]` (a caller chose them; automation must not pick a target from them).
 *   A caller sending `provenance` is refused (400 naming the field): it would be a claim about itself, and silently
 *   replacing it would hide that someone tried.
 * - They cannot pass for Bulwark's own detections: `source: rule` (and `alertmanager`, which only the webhook
 *   sets) is refused naming `source`; a `rule.id` of one of Bulwark's rules (the loaded and bundled ones, given by
 *   the intake route) or in the `alertmanager:` namespace is refused naming `rule.id`; an `id` in the namespaces of
 *   the ids Bulwark makes (`alr-`, `cor-` from the correlator, `am-` from the webhook) is refused naming `id`, since a
 *   planted id would make the real alert a "duplicate" of the plant.
 * - Their stated times are clamped to the receive time plus the allowed skew, and grouping and suppression use the
 *   receive time (received.ts).
 */
import { BulwarkError, type AlertProvenance } from '@bulwark/schema';
import { fitAlert, type FittedAlert } from './fit.js';

/** Fields of an external alert that its sender chose, which no automation may act on. */
export const EXTERNAL_UNTRUSTED = ['entity', 'annotations', 'labels'] as const;
/** Ids Bulwark makes itself: the correlator's single-event (`alr-`) and correlation (`cor-`) alerts, the webhook's (`am-`). */
export const RESERVED_ALERT_ID_PREFIXES = ['alr-', 'cor-', 'am-'] as const;
/** Rule ids only Bulwark's intake makes (the webhook's alerts are `alertmanager:<alertname>`). */
export const RESERVED_RULE_ID_PREFIXES = ['alertmanager:'] as const;
/** `source` values an external caller may give (`api` by default); `rule` and `alertmanager` are Bulwark's to set. */
export const EXTERNAL_ALERT_SOURCES = ['api', 'falco'] as const;

export interface ExternalIntake {
  /** The token that sent the alert (`req.principal`). */
  token: { id: string; name: string };
  /** The route it came through. */
  route: string;
  /** What it speaks for: `external` (POST /v1/alerts) or `alertmanager` (the webhook). */
  source: 'external' | 'alertmanager';
  /** Ids (and names) of Bulwark's own rules: an external alert claiming one is refused. */
  reservedRuleIds?: ReadonlySet<string>;
  /** `alerts.max_clock_skew` when the route knows it better than the service's option. */
  maxClockSkewMs?: number;
}

/** The provenance of an external alert received at `receivedAt`. */
export function externalProvenance(intake: ExternalIntake, receivedAt: string): AlertProvenance {
  return {
    origin: 'external',
    sources: [intake.source],
    received_at: receivedAt,
    token: { id: intake.token.id.slice(0, 64), name: intake.token.name.slice(0, 256) },
    route: intake.route.slice(0, 256),
    untrusted: [...EXTERNAL_UNTRUSTED],
  };
}

function refuse(prefix: string, field: string, message: string): never {
  const named = [prefix, field].filter(Boolean).join('.');
  throw new BulwarkError('BWK_INGEST_BAD_FIELD', `field "${named}": ${message}`, { field: named });
}

/**
 * Checks one alert posted to `POST /v1/alerts` for claims only Bulwark may make, then fits it (fit.ts) and gives it
 * its external provenance. `prefix` names it in errors (its position in a posted list).
 */
export function checkExternalAlert(input: unknown, intake: ExternalIntake, receivedAt: string, prefix = ''): FittedAlert {
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const claimed = input as { provenance?: unknown; source?: unknown; id?: unknown; rule?: { id?: unknown } };
    if (claimed.provenance !== undefined) refuse(prefix, 'provenance', 'is set by Bulwark (origin, token, receive time), not by the sender');
    if (claimed.source !== undefined && !(EXTERNAL_ALERT_SOURCES as readonly unknown[]).includes(claimed.source)) {
      refuse(prefix, 'source', `an external alert's source is one of ${EXTERNAL_ALERT_SOURCES.join(', ')} ("rule" alerts come from Bulwark's own rules only)`);
    }
    const id = claimed.id;
    if (typeof id === 'string' && RESERVED_ALERT_ID_PREFIXES.some((p) => id.startsWith(p))) {
      refuse(prefix, 'id', `ids starting with ${RESERVED_ALERT_ID_PREFIXES.join(', ')} are those of Bulwark's own alerts`);
    }
    const ruleId = claimed.rule !== null && typeof claimed.rule === 'object' ? claimed.rule.id : undefined;
    if (typeof ruleId === 'string' && (intake.reservedRuleIds?.has(ruleId) || RESERVED_RULE_ID_PREFIXES.some((p) => ruleId.startsWith(p)))) {
      refuse(prefix, 'rule.id', `"${ruleId.slice(0, 256)}" is one of Bulwark's own rules; an external alert names a rule of its own`);
    }
  }
  const fitted = fitAlert(input, prefix);
  fitted.alert.provenance = externalProvenance(intake, receivedAt);
  return fitted;
}
