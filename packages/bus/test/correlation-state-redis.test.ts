// services: redis
/**
 * `RedisCorrelationState` on a real Redis (`test/services/up redis`, then `source test/.services.env`): the state
 * contract every adapter keeps (detection's suite, `@bulwark/detection/testing`), and correlators sharing one Redis — three engines fed interleaved slices of one
 * stream, or each slice delivered twice at once — producing exactly the matches of one engine on in-memory state.
 * Every test works under its own key prefix and deletes its keys afterwards.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  compileCorrelations, compileRules, CorrelationEngine, InMemoryCorrelationState, loadSigmaFiles, type CorrelationMatch, type CorrelationState,
} from '@bulwark/detection';
import { at, correlationStateContract, engineFor, run, summary } from '@bulwark/detection/testing';
import { RedisCorrelationState } from '../src/index.js';

const REDIS_URL = process.env.REDIS_URL;

if (!REDIS_URL) {
  it('RedisCorrelationState needs a real Redis', () => {
    assert.fail('REDIS_URL is unset: run test/services/up redis && source test/.services.env');
  });
} else {
  const url = REDIS_URL;
  /** Connections opened by a test, closed after it; prefixes it used, whose keys are deleted. */
  const opened: Redis[] = [];
  const connect = () => {
    const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    opened.push(client);
    return client;
  };
  let admin: Redis;
  const newPrefix = () => `bulwark-test:correlation:${process.pid}:${randomUUID()}:`;

  async function keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }
  async function dropPrefix(prefix: string): Promise<void> {
    const keys = await keysUnder(prefix);
    if (keys.length > 0) await admin.del(...keys);
    assert.deepEqual(await keysUnder(prefix), []);
  }

  before(async () => {
    admin = new Redis(url, { maxRetriesPerRequest: 2 });
    await admin.ping();
  });
  after(async () => {
    await Promise.all(opened.splice(0).map((c) => c.quit()));
    await admin.quit();
  });

  correlationStateContract('RedisCorrelationState', async () => {
    const prefix = newPrefix();
    const state = new RedisCorrelationState(connect(), { prefix });
    return {
      state,
      ttlMs: 300,
      // Redis expires a key on access once its time is up (millisecond precision); a little margin for the clock.
      elapse: (ms) => sleep(ms + 25),
      size: async () => (await keysUnder(prefix)).filter((k) => k !== state.counterKey).length,
      close: () => dropPrefix(prefix),
    };
  });

  describe('RedisCorrelationState', () => {
    it('stores a hash {ver, state} per window key with the TTL the engine asks for (timespan + lateness + slack)', async () => {
      const prefix = newPrefix();
      try {
        const state = new RedisCorrelationState(connect(), { prefix });
        const body = "type: event_count\nrules: [fail]\ngroup-by: [user.username]\ntimespan: 1m\ncondition: {gte: 3}";
        await run(engineFor(['fail'], body, { state, allowedLatenessMs: 5_000, ttlSlackMs: 1_000 }), [[at('x', 0), ['fail']]]);
        const windows = (await keysUnder(prefix)).filter((k) => k !== state.counterKey);
        assert.equal(windows.length, 1);
        const ttl = await admin.pttl(windows[0]!);
        assert.ok(ttl > 60_000 && ttl <= 66_000, `PTTL ${ttl}`);
        assert.deepEqual(Object.keys(await admin.hgetall(windows[0]!)).sort(), ['state', 'ver']);
        assert.equal(await admin.pttl(state.counterKey), -1, 'the version counter never expires');
      } finally {
        await dropPrefix(prefix);
      }
    });

    it('opens and closes its own connection when given a URL; re-defines nothing on a shared client', async () => {
      const prefix = newPrefix();
      try {
        const own = new RedisCorrelationState(url, { prefix });
        assert.equal(await own.write('k', { entries: [], watermark: 1 }, 0, 10_000), true);
        await own.close();
        const client = connect();
        const a = new RedisCorrelationState(client, { prefix });
        const b = new RedisCorrelationState(client, { prefix });
        const v = (await a.read('k'))!.version;
        assert.equal(await b.write('k', { entries: [], watermark: 2 }, v, 10_000), true);
        assert.equal(await a.write('k', { entries: [], watermark: 3 }, v, 10_000), false);
      } finally {
        await dropPrefix(prefix);
      }
    });

    it('survives a flushed script cache (EVALSHA falls back to EVAL)', async () => {
      const prefix = newPrefix();
      try {
        const state = new RedisCorrelationState(connect(), { prefix });
        assert.equal(await state.write('k', { entries: [], watermark: 1 }, 0, 10_000), true);
        await admin.script('FLUSH');
        assert.equal(await state.write('k', { entries: [], watermark: 2 }, (await state.read('k'))!.version, 10_000), true);
      } finally {
        await dropPrefix(prefix);
      }
    });
  });

  // ---- Correlators sharing one Redis: the bundled attack correlations over one audit stream ----

  const rule = (name: string, detection: string) =>
    `title: ${name}\nname: ${name}\nlogsource: {product: kubernetes, service: audit}\ndetection:\n${detection}\nlevel: medium\n`;
  const FILES = [
    { file: 'secret_read.yml', source: rule('k8s_secret_read', '  sel:\n    verb: get\n    objectRef.resource: secrets\n  condition: sel') },
    { file: 'auth_failed.yml', source: rule('k8s_auth_failed', '  sel:\n    responseStatus.code: [401, 403]\n  condition: sel') },
    { file: 'auth_ok.yml', source: rule('k8s_auth_ok', '  sel:\n    verb: list\n    responseStatus.code: 200\n  condition: sel') },
    { file: 'pod_exec.yml', source: rule('k8s_pod_exec', '  sel:\n    verb: create\n    objectRef.subresource: exec\n  condition: sel') },
    { file: 'crb_create.yml', source: rule('k8s_crb_create', '  sel:\n    verb: create\n    objectRef.resource: clusterrolebindings\n  condition: sel') },
    {
      file: 'secrets_enumeration.yml',
      source: 'title: secrets enumeration\nname: secrets_enumeration\ncorrelation:\n  type: value_count\n  rules: [k8s_secret_read]\n'
        + '  group-by: [user.username]\n  timespan: 1m\n  condition: {field: objectRef.name, gte: 10}\n',
    },
    {
      file: 'auth_failures.yml',
      source: 'title: auth failures\nname: auth_failures\ncorrelation:\n  type: event_count\n  rules: [k8s_auth_failed]\n'
        + '  group-by: [sourceIPs]\n  timespan: 10m\n  condition: {gte: 5}\n',
    },
    {
      file: 'brute_force_success.yml',
      source: 'title: brute force then success\nname: brute_force_success\ncorrelation:\n  type: temporal_ordered\n'
        + '  rules: [auth_failures, k8s_auth_ok]\n  group-by: [sourceIPs]\n  timespan: 10m\n',
    },
    {
      file: 'multi_stage_breach.yml',
      source: 'title: multi-stage breach\nname: multi_stage_breach\ngenerate: true\ncorrelation:\n  type: temporal_ordered\n'
        + '  rules: [k8s_pod_exec, k8s_secret_read, k8s_crb_create]\n  group-by: [user.username]\n  timespan: 15m\n',
    },
  ];
  const { rules, correlations } = loadSigmaFiles(FILES);
  const ruleset = compileRules(rules);
  const set = compileCorrelations(correlations, rules);
  const LATENESS = 5_000;

  type Item = { event: unknown; matchedRuleIds: string[] };
  const T0 = Date.parse('2026-11-29T09:00:00.000Z');

  /** 600 audit events over 20 minutes from a seeded generator: two secrets-enumeration bursts, background secret
   * reads, exec/secret/binding sequences, failures and successes from a few addresses, some events 3 s out of order. */
  function stream(): Item[] {
    let seed = 42;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const users = ['mallory', 'eve', 'alice', 'bob', 'carol'];
    const ips = ['203.0.113.50', '198.51.100.7', '192.0.2.9'];
    const out: { t: number; event: unknown }[] = [];
    for (let i = 0; i < 600; i++) {
      const t = i * 2_000 + (i % 9 === 4 ? -3_000 : 0);
      const burst = (i >= 100 && i < 150) || (i >= 400 && i < 430); // mallory enumerates secrets
      const user = burst ? 'mallory' : pick(users);
      const ip = pick(ips);
      const kind = burst ? 0 : rand();
      const objectRef =
        kind < 0.45 ? { resource: 'secrets', namespace: 'payments', name: `secret-${burst ? i % 37 : Math.floor(rand() * 6)}` }
        : kind < 0.55 ? { resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'checkout-7d9f6c5b8-x2k4q' }
        : kind < 0.62 ? { resource: 'clusterrolebindings', name: 'backdoor-admin' }
        : { resource: 'pods', namespace: 'default' };
      const verb = kind < 0.45 ? 'get' : kind < 0.62 ? 'create' : 'list';
      const code = kind >= 0.62 ? (rand() < 0.7 ? 401 : 200) : 200;
      const id = `audit-${i}`;
      out.push({
        t,
        event: {
          '@timestamp': new Date(T0 + t).toISOString(),
          event: { id, dataset: 'kubernetes.audit' },
          kubernetes: { audit: { auditID: id, verb, user: { username: user }, sourceIPs: [ip], objectRef, responseStatus: { code } } },
        },
      });
    }
    return out.map(({ event }) => ({ event, matchedRuleIds: ruleset.match(event).map((m) => m.rule.name!) }));
  }
  const STREAM = stream();
  const newEngine = (state: CorrelationState) => new CorrelationEngine(set, { state, allowedLatenessMs: LATENESS });

  let baseline: CorrelationMatch[];
  before(async () => {
    baseline = await newEngine(new InMemoryCorrelationState()).processBatch(STREAM);
  });

  const ids = (matches: CorrelationMatch[]) => matches.map((m) => m.id).sort();
  const slices = (size: number) => Array.from({ length: Math.ceil(STREAM.length / size) }, (_, k) => STREAM.slice(k * size, (k + 1) * size));

  describe('correlators sharing one Redis', () => {
    it('the baseline stream fires every correlation type several times', () => {
      const byName = new Map<string, number>();
      for (const m of baseline) byName.set(m.rule.name!, (byName.get(m.rule.name!) ?? 0) + 1);
      for (const name of ['secrets_enumeration', 'auth_failures', 'brute_force_success', 'multi_stage_breach']) {
        assert.ok((byName.get(name) ?? 0) >= 2, `${name}: ${byName.get(name) ?? 0} matches in ${JSON.stringify([...byName])}`);
      }
    });

    it('three engines fed interleaved slices produce exactly the matches of one engine', async () => {
      const prefix = newPrefix();
      try {
        const engines = [0, 1, 2].map(() => newEngine(new RedisCorrelationState(connect(), { prefix })));
        const out: CorrelationMatch[] = [];
        for (const [k, slice] of slices(7).entries()) out.push(...(await engines[k % 3]!.processBatch(slice)));
        assert.deepEqual(ids(out), ids(baseline));
        assert.deepEqual(summary(out), summary(baseline));
      } finally {
        await dropPrefix(prefix);
      }
    });

    it('three engines, every slice delivered to two of them at once: same matches, none twice', async () => {
      const prefix = newPrefix();
      try {
        const engines = [0, 1, 2].map(() => newEngine(new RedisCorrelationState(connect(), { prefix })));
        const out: CorrelationMatch[] = [];
        for (const [k, slice] of slices(5).entries()) {
          const results = await Promise.all([engines[k % 3]!.processBatch(slice), engines[(k + 1) % 3]!.processBatch(slice)]);
          out.push(...results.flat());
        }
        // A slice delivered twice can re-emit a match its completing event produced (as after a crash): the same id
        // and content, which the idempotent alert store records once. Distinct matches must equal the baseline.
        const unique = new Map<string, CorrelationMatch>();
        for (const m of out) {
          const first = unique.get(m.id);
          if (first) assert.deepEqual(summary([m]), summary([first]), 'a re-emitted match is the same match');
          else unique.set(m.id, m);
        }
        assert.deepEqual(ids([...unique.values()]), ids(baseline));
        const byId = (ms: CorrelationMatch[]) => summary([...ms].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
        assert.deepEqual(byId([...unique.values()]), byId(baseline));
        const stats = engines.map((e) => e.stats);
        assert.ok(stats.reduce((n, s) => n + s.duplicate + s.spent, 0) > 0, 'redelivered events were recognised');
        assert.ok(stats.reduce((n, s) => n + s.conflicts, 0) > 0, `no compare-and-set conflict happened: ${JSON.stringify(stats)}`);
      } finally {
        await dropPrefix(prefix);
      }
    });

    it('a restarted correlator (new engine, new connection, same Redis) continues the windows', async () => {
      const prefix = newPrefix();
      try {
        const cut = Math.floor(STREAM.length * 0.45);
        const firstClient = new Redis(url, { maxRetriesPerRequest: 2 });
        const first = await newEngine(new RedisCorrelationState(firstClient, { prefix })).processBatch(STREAM.slice(0, cut));
        await firstClient.quit();
        const restarted = new RedisCorrelationState(url, { prefix });
        const second = await newEngine(restarted).processBatch(STREAM.slice(cut));
        await restarted.close();
        assert.ok(first.length > 0 && second.length > 0);
        assert.deepEqual(summary([...first, ...second]), summary(baseline));
      } finally {
        await dropPrefix(prefix);
      }
    });
  });
}
