/**
 * Which evidence may move the responder by itself (docs/ARCHITECTURE.md, "What acts without a person"). A playbook's trigger names the source kinds it
 * trusts (`trust`, default: Bulwark's own rules over the audit webhook and Falco). An alert that is not such evidence —
 * posted by another tool, from Alertmanager, raised by a rule over container logs, or without provenance at all — still
 * starts a run, but one a person must look at: every step that acts waits for approval (or, with
 * `untrusted: notify`, only the notify.* steps run). An input taken from a field the alert marks as caller-chosen
 * (its entity, annotations or labels) makes the run untrusted too, whatever the sources: such a value never chooses a
 * target without a person.
 */
import type { AnyAction } from '@bulwark/actions';
import { entityKey, isTrustedEvidence, type Alert, type RunEvidence, type RunRecord, type SourceKind, type StepJournal } from '@bulwark/schema';
import type { Playbook } from './format.js';
import type { InputOrigins } from './trigger.js';

/** Event ids kept on the run's evidence (the alert has them all). */
const EVIDENCE_EVENT_IDS = 20;

/** The run's evidence: the alert, its provenance, and whether this playbook trusts it. */
export function assessEvidence(playbook: Playbook, alert: Alert, origins: InputOrigins): RunEvidence {
  const trust: SourceKind[] = [...(playbook.trigger?.trust ?? [])];
  const provenance = alert.provenance;
  const untrustedFields = provenance?.untrusted ?? [];
  const untrustedInputs = Object.entries(origins)
    .filter(([, origin]) => untrustedFields.some((field) => origin === `alert.${field}` || origin.startsWith(`alert.${field}.`)))
    .map(([name]) => name)
    .sort();
  const reason = untrustedReason(alert, trust, untrustedInputs);
  return {
    alert_id: alert.id,
    rule: { id: alert.rule.id, name: alert.rule.name },
    severity: alert.severity,
    entity: entityKey(alert.entity),
    event_ids: alert.event_ids.slice(0, EVIDENCE_EVENT_IDS),
    event_count: alert.event_ids.length,
    provenance: provenance
      ? {
          origin: provenance.origin,
          sources: [...provenance.sources],
          received_at: provenance.received_at,
          token: provenance.token ? { id: provenance.token.id, name: provenance.token.name } : null,
          route: provenance.route ?? null,
          untrusted_fields: [...untrustedFields],
        }
      : null,
    trust,
    trusted: reason === null,
    on_untrusted: playbook.trigger?.untrusted ?? 'approve',
    reason,
    untrusted_inputs: untrustedInputs,
  };
}

function untrustedReason(alert: Alert, trust: readonly SourceKind[], untrustedInputs: readonly string[]): string | null {
  const p = alert.provenance;
  const trusted = `this playbook trusts ${trust.length > 0 ? trust.join(', ') : 'no source'}`;
  if (!p) return `alert ${alert.id} has no provenance (where its evidence came from is unknown); ${trusted}`;
  if (!isTrustedEvidence(p, trust)) {
    const by = p.token ? ` (token ${p.token.name})` : '';
    const what = p.origin === 'external' ? `an alert posted by another system${by} through ${p.route ?? p.sources.join(', ')}` : `a rule over ${p.sources.join(', ')} evidence`;
    return `${what}; ${trusted}`;
  }
  if (untrustedInputs.length > 0) return `inputs ${untrustedInputs.join(', ')} come from fields of the alert its sender chose (${(p.untrusted ?? []).join(', ')})`;
  return null;
}

/** Actions that only tell people: they run even for untrusted evidence (a message acts on nothing). */
export function onlyNotifies(action: AnyAction): boolean {
  return action.limited === false && action.name.startsWith('notify.');
}

/** Containment: an action counted against the blast radius (it changes the cluster or another system). */
export function contains(action: AnyAction): boolean {
  return action.limited !== false;
}

/** The run acts on evidence that is not trusted by itself: no step that acts goes ahead without a person. */
export function untrustedRun(run: RunRecord): boolean {
  return run.trigger.kind === 'alert' && !run.dry_run && run.evidence !== undefined && run.evidence !== null && !run.evidence.trusted;
}

/** A person (not a timeout) approved an earlier step of this run for its untrusted evidence: they vouched for it. */
export function vouchedFor(run: RunRecord): boolean {
  return run.steps.some((s) => approvedByPerson(s, 'untrusted_evidence'));
}

export function approvedByPerson(step: StepJournal, reason: string): boolean {
  const a = step.approval;
  return a !== null && a.reason === reason && a.decision === 'approved' && a.decided_by !== 'timeout';
}

/**
 * What an untrusted run does with a step: `run` it (a notification), `approve` (wait for a person) or `skip` it
 * (`untrusted: notify`). Containment steps always need their own approval; other acting steps (evidence capture,
 * incident updates) wait until a person has vouched for the evidence once.
 */
export function untrustedStep(run: RunRecord, action: AnyAction): 'run' | 'approve' | 'skip' {
  if (onlyNotifies(action)) return 'run';
  if (run.evidence?.on_untrusted === 'notify') return 'skip';
  if (contains(action)) return 'approve';
  return vouchedFor(run) ? 'run' : 'approve';
}
