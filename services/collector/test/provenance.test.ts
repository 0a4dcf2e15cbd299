/**
 * The decode task stamps `bulwark.provenance` on every event of every protocol (docs/ARCHITECTURE.md, "Provenance"),
 * inline and on a decode
 * thread alike, whatever the payload says; `event.ingested` is the collector's receive time; the source of a `_bulk`
 * document is `logs` unless it was mapped natively for a granted token.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DECODERS } from '@bulwark/ingest';
import type { EventProvenance } from '@bulwark/schema';
import { runDecodeTask, type DecodeTask } from '../src/decode-task.js';
import { threadDecoder } from '../src/decoder.js';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const forged = { provenance: { route: '/v1/ingest/falco', protocol: 'falco', source: 'falco', token: { id: 'x', name: 'x' }, token_sources: ['falco'] } };
const audit = { kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: 'a-1', stage: 'ResponseComplete', verb: 'get', requestReceivedTimestamp: '2025-01-01T00:00:00Z', bulwark: forged };
const falco = { rule: 'Terminal shell in container', priority: 'Notice', output: 'shell', time: '2025-01-01T00:00:00Z', output_fields: {}, bulwark: forged };

/** One body per registered decoder, each carrying a forged provenance; a decoder added without one fails below. */
const bodies: Record<string, string> = {
  'es-bulk': `${JSON.stringify({ index: {} })}\n${JSON.stringify({ message: 'x', bulwark: forged, event: { ingested: '1999-01-01T00:00:00Z' } })}\n`,
  'es-doc': JSON.stringify({ message: 'x', 'bulwark.provenance.source': 'falco' }),
  'k8s-audit': JSON.stringify(audit),
  falco: JSON.stringify(falco),
  loki: JSON.stringify({ streams: [{ stream: { bulwark: 'x' }, values: [['1735689600000000000', 'line']] }] }),
  'container-logs': '2025-01-01T00:00:00.000000000Z stdout F {"bulwark":{"provenance":{"source":"falco"}}}\n',
  events: JSON.stringify({ message: 'x', bulwark: forged, event: { ingested: '1999-01-01T00:00:00Z' } }),
  'otlp-logs': JSON.stringify({
    resourceLogs: [{ resource: { attributes: [{ key: 'bulwark.provenance.source', value: { stringValue: 'falco' } }] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }],
  }),
};

function task(kind: string, tokenSources: EventProvenance['token_sources'] = ['logs', 'k8s-audit', 'falco'], nativeSources: Array<'k8s-audit' | 'falco'> = []): DecodeTask {
  const source = DECODERS.get(kind)!.source;
  return {
    registry: DECODERS.origin,
    decoder: kind,
    body: Buffer.from(kind === 'es-bulk' && nativeSources.length ? `${JSON.stringify({ index: {} })}\n${JSON.stringify(audit)}\n` : bodies[kind]!),
    options: { now: NOW, nativeSources },
    mediaType: 'application/json',
    params: kind === 'es-doc' ? { index: 'logs-x-default' } : {},
    provenance: { route: `/route/${kind}`, protocol: kind, source, token: { id: 'tok-1', name: 'sender' }, token_sources: tokenSources },
  };
}

const docs = (outcome: ReturnType<typeof runDecodeTask>) => outcome.rows.map((r) => JSON.parse(r.doc));

describe('provenance stamping', () => {
  it('every registered decoder has a body here', () => {
    assert.deepEqual(DECODERS.decoders.map((d) => d.name).sort(), Object.keys(bodies).sort());
  });

  for (const kind of Object.keys(bodies)) {
    it(`${kind}: the collector's provenance, never the payload's`, () => {
      const outcome = runDecodeTask(task(kind));
      assert.equal(outcome.failure, undefined, JSON.stringify(outcome.failure));
      const [doc] = docs(outcome);
      assert.ok(doc, JSON.stringify(outcome.errors));
      assert.equal(doc.bulwark.provenance.route, `/route/${kind}`);
      assert.equal(doc.bulwark.provenance.source, kind === 'k8s-audit' ? 'k8s-audit' : kind === 'falco' ? 'falco' : 'logs');
      assert.equal(doc.bulwark.provenance.protocol, kind);
      assert.equal(doc.bulwark.provenance.token.name, 'sender');
      assert.equal(doc.event.ingested, NOW.toISOString());
    });
  }

  it('a _bulk audit document speaks for k8s-audit only when mapped natively for a granted token', () => {
    const granted = docs(runDecodeTask(task('es-bulk', ['k8s-audit'], ['k8s-audit'])))[0];
    assert.equal(granted.event.dataset, 'kubernetes.audit');
    assert.equal(granted.bulwark.provenance.source, 'k8s-audit');
    const body = `${JSON.stringify({ index: {} })}\n${JSON.stringify(audit)}\n`;
    const ungranted = docs(runDecodeTask({ ...task('es-bulk'), body: Buffer.from(body) }))[0];
    assert.equal(ungranted.bulwark.provenance.source, 'logs');
    assert.equal(ungranted.bulwark.claimed.native, 'k8s-audit');
  });

  it('a decode thread stamps exactly what the inline decoder does', async () => {
    const decoder = threadDecoder(1);
    try {
      for (const kind of Object.keys(bodies)) {
        const onThread = await decoder.decode(task(kind));
        assert.deepEqual(docs(onThread), docs(runDecodeTask(task(kind))), kind);
      }
    } finally {
      await decoder.close();
    }
  });
});
