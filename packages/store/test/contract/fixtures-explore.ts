/**
 * Events for the explorer's cases of the LogStore contract (logstore-contract-explore.ts): values an analyst pastes
 * as free text (an audit id, a pod uid, addresses, a number, a boolean, a label) at every depth, and a larger set for
 * counting every match rather than a sample.
 *
 * | id | @timestamp | dataset          | pod uid  | source.ip  | audit sourceIPs          | other values                                         | message
 * | x1 | T1         | kubernetes.audit | UID      | 10.1.2.3   | 10.1.2.3, 192.168.7.7    | auditID AUDIT_ID, code 201, retries 7331, canary true,  | create pods/exec in payments
 * |    |            |                  |          |            |                          | label ledger-api, annotation allow, tags exec exec audit|
 * | x2 | T1+1s      | container.logs   | UID      |            |                          | retries 2, tags app                                  | ledger started on port 8443
 * | x3 | T1+2s      | kubernetes.audit |          | 10.1.2.30  | 10.1.2.30                | auditID …a003, code 403, canary false, tags audit    | get secrets
 * | x4 | T1+3s      | container.logs   | other    |            |                          | latency 12.5                                         | GET /healthz 200 from 10.1.2.3
 * | x5 | T1+4s      | falco.alert      |          |            |                          | output_fields["k8s.pod.uid"] UID                     | Shell spawned
 */
import type { Event } from '@bulwark/schema';

export const T1 = Date.parse('2024-06-01T08:00:00.000Z');
export const POD_UID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
export const AUDIT_ID = 'f1d2c3b4-0000-4a5b-9c8d-00000000a001';

function event(id: string, offsetMs: number, dataset: string, fields: Record<string, unknown>): Event {
  return { '@timestamp': new Date(T1 + offsetMs).toISOString(), event: { id, dataset }, ...fields } as Event;
}

export const EXPLORE_FIXTURE: Event[] = [
  event('x1', 0, 'kubernetes.audit', {
    message: 'create pods/exec in payments',
    kubernetes: {
      namespace: 'payments',
      pod: { name: 'ledger-0', uid: POD_UID },
      labels: { 'app.kubernetes.io/name': 'ledger-api' },
      audit: {
        auditID: AUDIT_ID,
        verb: 'create',
        sourceIPs: ['10.1.2.3', '192.168.7.7'],
        annotations: { 'authorization.k8s.io/decision': 'allow' },
        responseStatus: { code: 201 },
      },
    },
    source: { ip: '10.1.2.3' },
    user: { name: 'system:serviceaccount:ci:deployer' },
    metrics: { retries: { count: 7331 }, flags: { canary: true } },
    tags: ['exec', 'exec', 'audit'],
  }),
  event('x2', 1000, 'container.logs', {
    message: 'ledger started on port 8443',
    kubernetes: { namespace: 'payments', pod: { name: 'ledger-0', uid: POD_UID } },
    metrics: { retries: { count: 2 } },
    tags: ['app'],
  }),
  event('x3', 2000, 'kubernetes.audit', {
    message: 'get secrets',
    kubernetes: {
      namespace: 'payments',
      audit: { auditID: 'f1d2c3b4-0000-4a5b-9c8d-00000000a003', verb: 'get', sourceIPs: ['10.1.2.30'], responseStatus: { code: 403 } },
    },
    source: { ip: '10.1.2.30' },
    user: { name: 'alice' },
    metrics: { flags: { canary: false } },
    tags: ['audit'],
  }),
  event('x4', 3000, 'container.logs', {
    message: 'GET /healthz 200 from 10.1.2.3',
    kubernetes: { namespace: 'web', pod: { name: 'web-0', uid: '0a1b2c3d-0000-4000-8000-000000000004' } },
    metrics: { latency_ms: 12.5 },
  }),
  event('x5', 4000, 'falco.alert', {
    message: 'Shell spawned',
    output_fields: { 'k8s.pod.uid': POD_UID },
  }),
];

/**
 * Free text over `EXPLORE_FIXTURE` and the ids it must find, oldest first: a pasted value finds exactly the events
 * holding it in some field (any depth, list elements too, case-sensitive), or a phrase of `message`'s words.
 */
export const FREE_TEXT_CASES: ReadonlyArray<readonly [string, readonly string[]]> = [
  // a value held at any depth, bare or quoted
  [POD_UID, ['x1', 'x2', 'x5']],
  [`"${POD_UID}"`, ['x1', 'x2', 'x5']],
  [AUDIT_ID, ['x1']],
  [`"${AUDIT_ID}"`, ['x1']],
  ['192.168.7.7', ['x1']],
  ['10.1.2.30', ['x3']],
  // an address in source.ip and a list, and as words of a message (x4); not the longer 10.1.2.30
  ['10.1.2.3', ['x1', 'x4']],
  ['"10.1.2.3"', ['x1', 'x4']],
  ['ledger-api', ['x1']],
  ['allow', ['x1']],
  ['7331', ['x1']],
  ['7331.0', ['x1']],
  ['201', ['x1']],
  ['12.5', ['x4']],
  ['true', ['x1']],
  ['false', ['x3']],
  ['system:serviceaccount:ci:deployer', []], // bare `a:b` is a field name: this one asks field `system`
  ['"system:serviceaccount:ci:deployer"', ['x1']],
  // the whole value, never part of it
  ['f1d2c3b4', []],
  ['7c9e6679-7425', []],
  ['ledger-ap', []],
  ['733', []],
  // exact case for values
  [AUDIT_ID.toUpperCase(), []],
  ['Ledger-API', []],
  ['Allow', []],
  // message words as before: any case, a phrase, a word of a value is not the value
  ['ledger', ['x2']],
  ['Shell', ['x5']],
  ['"shell spawned"', ['x5']],
  ['"spawned shell"', []],
  ['ledg*', ['x2']],
  // combined, and NOT the exact complement
  ['kubernetes.namespace:payments AND 10.1.2.3', ['x1']],
  ['NOT 10.1.2.3', ['x2', 'x3', 'x5']],
  [`NOT ${POD_UID}`, ['x3', 'x4']],
  ['NOT true', ['x2', 'x3', 'x4', 'x5']],
];

/**
 * `count` events spread over three datasets (so over several indices on the search engines) with a unique text `u`
 * and number `n` each and a namespace that is `old` for the oldest 700 and `new` after: the newest 1000 alone would
 * show `new` first.
 */
export function countingEvents(count = 1200): Event[] {
  return Array.from({ length: count }, (_, i) =>
    event(`c${String(i).padStart(4, '0')}`, 10_000 + i * 10, ['count.a', 'count.b', 'count.c'][i % 3]!, {
      message: `counting ${i}`,
      kubernetes: { namespace: i < 700 ? 'old' : 'new' },
      u: `u${String(i).padStart(4, '0')}`,
      n: i,
    }),
  );
}
