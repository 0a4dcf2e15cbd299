/**
 * Data for the console's pages, sent the way it arrives in production: events through `_bulk` with a log shipper's
 * `ingest` token (as Filebeat or Vector would send them), alerts through `POST /v1/alerts` with an `alerts` token (an
 * external alerting system), each citing stored events as its evidence, so an alert's page lists evidence with its
 * provenance and its incident's timeline has lanes to draw.
 */
import assert from 'node:assert/strict';
import type { ConsoleServer } from './console-server.js';

export interface SeededAlert {
  /** The stored alert's id (`stored_as`). */
  id: string;
  rule: string;
  incidentId: string;
}

export interface Seed {
  namespace: string;
  /** Event ids, newest first, as the search lists them. */
  eventIds: string[];
  alerts: SeededAlert[];
}

/** `count` events on three pods of `namespace`, spread over the last `spanMs`, through `_bulk`. */
export async function sendEvents(server: ConsoleServer, namespace: string, count: number, spanMs = 30 * 60_000): Promise<void> {
  const start = Date.now() - spanMs;
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    lines.push('{"create":{"_index":"logs-shop-default"}}');
    lines.push(
      JSON.stringify({
        '@timestamp': new Date(start + (i * spanMs) / count).toISOString(),
        message: `checkout ${i % 3 === 0 ? 'declined' : 'accepted'} order=${i}`,
        service: { name: ['cart', 'payments', 'search'][i % 3] },
        user: { name: ['alice', 'bob'][i % 2] },
        kubernetes: { namespace, pod: { name: `shop-${i % 3}` } },
      }),
    );
  }
  const res = await server.p.fetch('/_bulk', { method: 'POST', token: server.people.shipper, headers: { 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n` });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(((await res.json()) as { errors: boolean }).errors, false);
}

/**
 * Events in `namespace`, then one alert per entry of `rules` (a rule id each; repeat an id for several alerts of one
 * rule) on workloads of that namespace, each citing two of the events as evidence.
 */
export async function seedConsole(server: ConsoleServer, namespace: string, rules: string[]): Promise<Seed> {
  await sendEvents(server, namespace, 60);
  const q = `kubernetes.namespace:${namespace}`;
  const hits = await (async () => {
    for (let i = 0; i < 50; i++) {
      const page = await server.p.get<{ hits: Array<{ event: { id: string } }> }>(`/v1/search?${new URLSearchParams({ q, from: 'now-2h', size: '100' })}`, server.people.reader.token);
      if (page.hits.length >= 60) return page.hits;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail('the events were not searchable');
  })();
  const eventIds = hits.map((h) => h.event.id);
  const now = Date.now();
  const inputs = rules.map((rule, i) => {
    const at = new Date(now - (rules.length - i) * 60_000).toISOString();
    const workload = `shop-${i % 2}`;
    return {
      id: `${namespace}-${i}`,
      rule: { id: rule, name: `Suspicious ${rule.replace(/^ext-/, '')}`, level: i % 2 ? 'high' : 'medium', tags: ['attack.execution'] },
      severity: i % 2 ? 'high' : 'medium',
      group_key: `${namespace}/${workload}/${rule}/${i}`,
      entity: { kind: 'workload', namespace, value: workload },
      event_ids: eventIds.slice(i * 2, i * 2 + 2),
      first_seen: at,
      last_seen: at,
      source: 'api',
    };
  });
  const items = await postAlerts(server, inputs);
  return {
    namespace,
    eventIds,
    alerts: items.map((item, i) => ({ id: item.id, rule: rules[i]!, incidentId: item.incidentId })),
  };
}

let senders = 0;

/** Alerts in our schema, posted as an external alerting system would (its own `alerts` token); their stored ids. */
export async function postAlerts(server: ConsoleServer, inputs: unknown[]): Promise<Array<{ id: string; incidentId: string }>> {
  const sender = (await server.p.mint(`alert-sender-${++senders}`, ['alerts'])).token;
  const res = await server.p.fetch('/v1/alerts', { method: 'POST', token: sender, headers: { 'content-type': 'application/json' }, body: JSON.stringify(inputs) });
  assert.equal(res.status, 201, await res.clone().text());
  const items = ((await res.json()) as { items: Array<{ stored_as: string; incident_id: string }> }).items;
  return items.map((item) => ({ id: item.stored_as, incidentId: item.incident_id }));
}
