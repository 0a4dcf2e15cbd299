/**
 * What makes a quarantine believable: the policy found under the quarantine's name must be exactly
 * the one Bulwark would create — anyone with edit rights in the namespace could have created
 * `bulwark-quarantine-<pod>` beforehand allowing everything — and no other NetworkPolicy may select the pod with
 * rules that allow traffic. NetworkPolicies add up: a pod selected by several policies may receive (send) whatever any
 * of them allows in that direction, so a deny-all policy isolates nothing while another policy allows traffic.
 */
import type * as k8s from '@kubernetes/client-node';

/** Does `selector` (a podSelector) select a pod with these labels? An empty selector selects every pod. */
export function matchesSelector(labels: Record<string, string>, selector: k8s.V1LabelSelector | undefined): boolean {
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector?.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/**
 * A spec in a form two equal specs share: client objects made plain, absent and empty lists alike (for rules, peers,
 * ports and `except` both mean the same), object keys sorted, a port's protocol defaulted to TCP as the API server
 * does. Empty objects are kept: an empty `podSelector` peer means "every pod", not "nothing".
 */
function canonical(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => canonical(v, key === 'ports' ? 'port' : ''));
    return key === 'policyTypes' ? [...(items as string[])].sort() : items;
  }
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (k === 'matchLabels' && Object.keys(v as object).length === 0) continue;
    out[k] = canonical(v, k);
  }
  if (key === 'port') out.protocol ??= 'TCP';
  return out;
}

/** True when two NetworkPolicy specs select the same pods and allow exactly the same traffic. */
export function sameSpec(a: k8s.V1NetworkPolicySpec | undefined, b: k8s.V1NetworkPolicySpec | undefined): boolean {
  return JSON.stringify(canonical(JSON.parse(JSON.stringify(a ?? {})))) === JSON.stringify(canonical(JSON.parse(JSON.stringify(b ?? {}))));
}

export type Direction = 'ingress' | 'egress';

/** A NetworkPolicy that selects the quarantined pod and allows traffic in some direction. */
export interface AllowingPolicy {
  name: string;
  allows: Direction[];
}

/** The directions a policy's rules allow traffic in (`policyTypes` as the API server defaults it when absent). */
export function allowedDirections(spec: k8s.V1NetworkPolicySpec | undefined): Direction[] {
  const egressRules = spec?.egress ?? [];
  const types = spec?.policyTypes ?? ['Ingress', ...(egressRules.length > 0 ? ['Egress'] : [])];
  const out: Direction[] = [];
  if (types.includes('Ingress') && (spec?.ingress ?? []).length > 0) out.push('ingress');
  if (types.includes('Egress') && egressRules.length > 0) out.push('egress');
  return out;
}

/** The policies among `policies` (other than `own`) that select a pod with `labels` and allow it traffic. */
export function allowingPolicies(policies: readonly k8s.V1NetworkPolicy[], labels: Record<string, string>, own: string): AllowingPolicy[] {
  const found: AllowingPolicy[] = [];
  for (const policy of policies) {
    const name = policy.metadata?.name ?? '';
    if (name === own || !matchesSelector(labels, policy.spec?.podSelector)) continue;
    const allows = allowedDirections(policy.spec);
    if (allows.length > 0) found.push({ name, allows });
  }
  return found.sort((x, y) => (x.name < y.name ? -1 : 1));
}

/** One sentence for the step's summary (the engine writes it to the run and the incident timeline). */
export function allowingWarning(namespace: string, pod: string, found: readonly AllowingPolicy[]): string {
  const list = found.map((p) => `${p.name} (allows ${p.allows.join(' and ')})`).join(', ');
  return `WARNING: the quarantine of pod ${namespace}/${pod} does not hold: NetworkPolicies add up, and ${found.length === 1 ? 'NetworkPolicy' : 'NetworkPolicies'} ${list} also select${found.length === 1 ? 's' : ''} the pod`;
}
