/**
 * The bundled fixtures are events as the collector produces them: each is rebuilt from its own source record
 * (the native audit event it carries, the Falco alert, the log line) through the real decoders of
 * `packages/ingest`, and must come out identical. A decoder change that alters the event shape fails here, so
 * rules are never tested against events production no longer produces.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeContainerLogs, decodeFalco, decodeK8sAudit, kubernetesEvent } from '@bulwark/ingest';
import { findRuleFiles, fixtureFilesFor } from '../src/files.js';
import { isCorrelation } from '../src/catalog.js';
import { parseFixtureFile, parseSequenceFixtureFile, type Fixture } from '../src/fixtures.js';
import { BUNDLED_RULES } from './helpers.js';

// A fixture event, loosely typed: only what the rebuild reads.
type Any = Record<string, any>;

function only<T>(result: { events: T[]; errors: unknown[] }): T {
  assert.deepEqual(result.errors, []);
  assert.equal(result.events.length, 1);
  return result.events[0]!;
}

/** The event the decoder makes of the fixture's source record. */
function redecode(e: Any): Any {
  const now = new Date(e.event.ingested);
  switch (e.event.dataset) {
    case 'kubernetes.audit':
      return only(decodeK8sAudit(Buffer.from(JSON.stringify(e.kubernetes.audit)), { now }));
    case 'falco.alerts': {
      const alert = {
        hostname: e.host?.name,
        output: e.message,
        priority: e.falco.priority,
        rule: e.rule.name,
        source: e.falco.source,
        tags: e.tags,
        time: e['@timestamp'],
        output_fields: e.falco.output_fields,
        uuid: e.event.id,
      };
      return only(decodeFalco(Buffer.from(JSON.stringify(alert)), { now }));
    }
    case 'kubernetes.events':
      return kubernetesEvent(e.kubernetes.event, e.orchestrator.cluster.name, e.event.ingested)!;
    default: {
      // The content-hash id covers the time as the runtime wrote it (nanoseconds), which the event no longer has.
      const path: string | undefined = e.log?.file?.path;
      const body = path
        ? `${e['@timestamp']} ${e.stream} F ${e.message}\n`
        : JSON.stringify({ log: `${e.message}\n`, stream: e.stream, time: e['@timestamp'] }) + '\n';
      const event: Any = only(decodeContainerLogs(Buffer.from(body), { now, ...(path ? { path } : {}) }));
      return { ...event, event: { ...event.event, id: e.event.id } };
    }
  }
}

/** Every fixture event; the events of correlation sequences one by one (`true_positives[0][3]`). */
function bundledFixtures(): Fixture[] {
  return findRuleFiles([BUNDLED_RULES]).files.flatMap((rule) =>
    fixtureFilesFor(rule).flatMap((file) => {
      const source = { file, source: readFileSync(file, 'utf8') };
      if (!isCorrelation(readFileSync(rule, 'utf8'))) return parseFixtureFile(source).fixtures;
      const { sequences, problems } = parseSequenceFixtureFile(source);
      assert.deepEqual(problems, [], file);
      return sequences.flatMap(({ kind, path, events }) => events.map((event, i) => ({ kind, file, path: `${path}[${i}]`, event })));
    }),
  );
}

describe('bundled fixtures are decoder output', () => {
  const fixtures = bundledFixtures();

  it('covers the four sources', () => {
    const datasets = new Set(fixtures.map((f) => (f.event as Any).event.dataset));
    assert.deepEqual([...datasets].sort(), ['container.logs', 'falco.alerts', 'kubernetes.audit', 'kubernetes.container_logs', 'kubernetes.events']);
  });

  it('includes the events of the correlation sequences', () => {
    assert.ok(fixtures.filter((f) => f.file.includes('/correlations/')).length >= 100);
  });

  it('every fixture equals what the decoder makes of its source record', () => {
    for (const fixture of fixtures) {
      assert.deepEqual(redecode(fixture.event as Any), fixture.event, `${fixture.file}: ${fixture.path}`);
    }
  });
});
