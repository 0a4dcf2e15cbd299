/**
 * Which playbooks an alert starts (`trigger`), and the inputs a run takes from the alert and its
 * incident. Every condition given must hold; within a list, any value matches. A run's id is derived from the
 * playbook and what it runs once for (the incident by default), so the same incident's tenth alert, a redelivered
 * notification or a second responder never starts a second run.
 */
import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import { BulwarkError, severityRank, type Alert, type Incident } from '@bulwark/schema';
import { SECRET_REF, type Playbook, type PlaybookInput } from './format.js';
import { lookup } from './template.js';

export function matchesTrigger(playbook: Playbook, alert: Alert, incident: Incident | null): boolean {
  const t = playbook.trigger;
  if (!t || !playbook.enabled) return false;
  // A resolved alert (Alertmanager's `resolved`) or one a person muted starts nothing.
  if (alert.status === 'resolved' || alert.status === 'suppressed') return false;
  if (t.rules && !t.rules.some((r) => r === alert.rule.id || r === alert.rule.name)) return false;
  if (t.tags && !t.tags.some((tag) => alert.rule.tags.includes(tag))) return false;
  if (t.min_severity && severityRank(alert.severity) < severityRank(t.min_severity)) return false;
  if (t.entity_kinds && !t.entity_kinds.includes(alert.entity.kind)) return false;
  if (t.sources && !t.sources.includes(alert.source)) return false;
  if (t.incident) {
    if (!incident) return false;
    if (t.incident.min_severity && severityRank(incident.severity) < severityRank(t.incident.min_severity)) return false;
    if (t.incident.min_alerts && incident.alert_count < t.incident.min_alerts) return false;
    if (t.incident.statuses && !t.incident.statuses.includes(incident.status)) return false;
  }
  return true;
}

/**
 * The deterministic id of the run a trigger starts. A run started by untrusted evidence (`trusted: false`) has an id
 * of its own per alert, whatever `once_per` says: a decoy alert (an external alert, a log line) never takes the place
 * of the incident's one automatic run, so trusted evidence arriving later still starts it, on what it names.
 */
export function triggeredRunId(playbook: Playbook, alert: Alert, incident: Incident | null, trusted = true): string {
  const oncePer = playbook.trigger?.once_per ?? 'incident';
  const key = !trusted
    ? `untrusted-alert:${alert.id}`
    : oncePer === 'alert' || (oncePer === 'incident' && !incident)
      ? `alert:${alert.id}`
      : oncePer === 'incident'
        ? `incident:${incident!.id}`
        : `entity:${alert.group_key || JSON.stringify(alert.entity)}`;
  return `run-${createHash('sha256').update(`${playbook.name}\u0000${key}`).digest('hex').slice(0, 32)}`;
}

/**
 * The run's inputs: given values first, then the first `from` path that has a value, then the default; typed and
 * checked against `pattern`. @throws BulwarkError naming the input.
 */
export function resolveInputs(
  playbook: Playbook,
  given: Record<string, unknown>,
  source: { alert: unknown; incident: unknown },
): Record<string, unknown> {
  return resolveInputsTraced(playbook, given, source).inputs;
}

/** Where an input's value came from: `given` (the caller), a `from` path such as `alert.annotations.pod_name`, or `default`. */
export type InputOrigins = Record<string, string>;

/** `resolveInputs`, also telling where each value came from (so caller-chosen alert fields are known, evidence.ts). */
export function resolveInputsTraced(
  playbook: Playbook,
  given: Record<string, unknown>,
  source: { alert: unknown; incident: unknown },
): { inputs: Record<string, unknown>; origins: InputOrigins } {
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(playbook.inputs, name)) {
      throw new BulwarkError('BWK_BAD_REQUEST', `playbook ${playbook.name} has no input ${name}`, { field: `inputs.${name}` });
    }
  }
  const inputs: Record<string, unknown> = {};
  const origins: InputOrigins = {};
  for (const [name, def] of Object.entries(playbook.inputs)) {
    let value = Object.hasOwn(given, name) ? given[name] : undefined;
    let origin = 'given';
    if (value === undefined && def.from !== undefined) {
      for (const path of Array.isArray(def.from) ? def.from : [def.from]) {
        const found = lookup(source, path);
        if (found !== undefined && found !== null && found !== '') {
          value = found;
          origin = path;
          break;
        }
      }
    }
    if (value === undefined) {
      value = def.default;
      origin = 'default';
    }
    if (value === undefined) {
      if (def.required) throw new BulwarkError('BWK_BAD_REQUEST', `input ${name} has no value (from the trigger, the request or a default)`, { field: `inputs.${name}` });
      continue;
    }
    inputs[name] = coerce(name, def, value);
    origins[name] = origin;
  }
  return { inputs, origins };
}

function coerce(name: string, def: PlaybookInput, value: unknown): unknown {
  const fail = (what: string): never => {
    throw new BulwarkError('BWK_BAD_REQUEST', `input ${name}: ${what}`, { field: `inputs.${name}` });
  };
  let typed: unknown = value;
  if (def.type === 'number') {
    typed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof typed !== 'number' || !Number.isFinite(typed)) fail('must be a number');
  } else if (def.type === 'boolean') {
    typed = value === 'true' ? true : value === 'false' ? false : value;
    if (typeof typed !== 'boolean') fail('must be true or false');
  } else if (def.type === 'string[]') {
    typed = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(typed) || !typed.every((v) => typeof v === 'string')) fail('must be a list of strings');
  } else if (def.type === 'secret') {
    // A reference, never the secret: a URL or token typed by whoever starts the run is refused.
    if (typeof value !== 'string' || !SECRET_REF.test(value)) fail('must be a secret reference: env:NAME or file:/absolute/path (never the secret itself)');
  } else {
    if (typeof value === 'number' || typeof value === 'boolean') typed = String(value);
    if (typeof typed !== 'string') fail('must be a string');
    if ((typed as string).length > 4096) fail('is longer than 4096 characters');
  }
  if (def.pattern !== undefined) {
    const pattern = RE2JS.compile(`^(?:${def.pattern})$`);
    for (const item of Array.isArray(typed) ? typed : [typed]) {
      if (!pattern.matches(String(item))) fail(`${JSON.stringify(String(item).slice(0, 100))} does not match ${def.pattern}`);
    }
  }
  return typed;
}
