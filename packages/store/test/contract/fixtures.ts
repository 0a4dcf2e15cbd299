/**
 * Events for the LogStore contract suite: a small, hand-written set where every query's expected answer can be read
 * off the table below, plus generators for the pagination and histogram cases. Timestamps are fixed so the expected
 * results never depend on the clock.
 *
 * | id  | @timestamp | dataset          | namespace   | pod    | user   | status | tags                  | notes
 * | e1  | T0         | kubernetes.audit | prod        | web-1  | alice  | 200    | audit, read           | pid 42, label app.kubernetes.io/name=web
 * | e2  | T0+1s      | kubernetes.audit | kube-system |        | bob    | 403    | audit, write, denied  | "Forbidden"
 * | e3  | T0+2s      | container.logs   | prod        | db-0   |        |        | app                   | pid 4242, log.level error
 * | e4  | T0+3s      | falco.alert      | prod        | web-1  | root   |        | falco, T1059          | pid 7, rule.name, severity 80
 * | e5  | T0+4s      | container.logs   | staging     |        | o'hara |        | %, _                  | special characters
 * | e6  | T0+5s      | kubernetes.audit | staging     |        | alice  | 500    |                       | no message
 * | e7  | T0+5s      | container.logs   | prod        |        |        |        |                       | same instant as e6, appended after
 * | e8  | T0+1h      | container.logs   | prod        |        |        |        |                       | "late event alice"
 */
import type { Event } from '@bulwark/schema';

export const T0 = Date.parse('2024-05-01T10:00:00.000Z');

export function at(offsetMs: number): string {
  return new Date(T0 + offsetMs).toISOString();
}

function event(id: string, offsetMs: number, dataset: string, fields: Record<string, unknown>): Event {
  return { '@timestamp': at(offsetMs), event: { id, dataset }, ...fields } as Event;
}

export const FIXTURE: Event[] = [
  event('e1', 0, 'kubernetes.audit', {
    message: 'GET /api/v1/namespaces/prod/pods/web-1 from 10.0.0.1',
    kubernetes: {
      namespace: 'prod',
      pod: { name: 'web-1' },
      labels: { 'app.kubernetes.io/name': 'web' },
      audit: { verb: 'get', objectRef: { resource: 'pods', namespace: 'prod' }, responseStatus: { code: 200 } },
    },
    user: { name: 'alice' },
    http: { response: { status_code: 200 } },
    process: { pid: 42 },
    tags: ['audit', 'read'],
  }),
  event('e2', 1000, 'kubernetes.audit', {
    message: 'Forbidden: user bob cannot delete secrets in kube-system',
    kubernetes: {
      namespace: 'kube-system',
      audit: { verb: 'delete', objectRef: { resource: 'secrets', namespace: 'kube-system' }, responseStatus: { code: 403 } },
    },
    user: { name: 'bob' },
    http: { response: { status_code: 403 } },
    tags: ['audit', 'write', 'denied'],
  }),
  event('e3', 2000, 'container.logs', {
    message: 'Connection refused to database at 10.0.0.12:5432',
    kubernetes: { namespace: 'prod', pod: { name: 'db-0' } },
    log: { level: 'error' },
    process: { pid: 4242 },
    tags: ['app'],
  }),
  event('e4', 3000, 'falco.alert', {
    message: 'Shell spawned in container web-1 (user=root)',
    kubernetes: { namespace: 'prod', pod: { name: 'web-1' } },
    user: { name: 'root' },
    process: { pid: 7, name: 'bash', command_line: 'bash -i' },
    rule: { name: 'Terminal shell in container' },
    tags: ['falco', 'T1059'],
  }),
  event('e5', 4000, 'container.logs', {
    message: 'Special chars: 100% done_now "quoted" AND NEAR(x) * end',
    kubernetes: { namespace: 'staging', labels: { weird: 'a"b%c_d*' } },
    user: { name: "o'hara" },
    tags: ['%', '_'],
  }),
  event('e6', 5000, 'kubernetes.audit', {
    kubernetes: { namespace: 'staging' },
    user: { name: 'alice' },
    http: { response: { status_code: 500 } },
  }),
  event('e7', 5000, 'container.logs', { message: 'tie second', kubernetes: { namespace: 'prod' } }),
  event('e8', 3_600_000, 'container.logs', { message: 'late event alice', kubernetes: { namespace: 'prod' } }),
];

/**
 * `count` events with many equal timestamps (groups of 7 share an instant) so pagination must break ties; ids are
 * `p000`… in arrival order.
 */
export function pagingEvents(count: number, prefix = 'p'): Event[] {
  return Array.from({ length: count }, (_, i) =>
    event(`${prefix}${String(i).padStart(3, '0')}`, Math.floor(i / 7) * 1000, 'paging.test', {
      message: `paging event number ${i}`,
    }),
  );
}
