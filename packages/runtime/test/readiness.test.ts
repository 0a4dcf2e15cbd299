/**
 * `/readyz`'s registry: every probe reported by name, a hung probe answers "unavailable" within the bound instead of
 * holding the orchestrator's request, and a process that is shutting down is never ready.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createReadiness } from '@bulwark/http';

describe('readiness', () => {
  it('is ready only when every probe answers, and names each', async () => {
    const readiness = createReadiness(200);
    let busUp = true;
    readiness.add('store', async () => true);
    readiness.add('bus', async () => busUp);
    assert.deepEqual(await readiness.report(), { ready: true, shuttingDown: false, checks: { store: 'ok', bus: 'ok' } });
    busUp = false;
    assert.deepEqual(await readiness.report(), { ready: false, shuttingDown: false, checks: { store: 'ok', bus: 'unavailable' } });
  });

  it('reports a probe that throws or hangs as unavailable, within its bound', async () => {
    const readiness = createReadiness(200);
    readiness.add('cases', async () => {
      throw new Error('connection refused');
    });
    readiness.add('bus', () => new Promise<boolean>(() => {}));
    const started = Date.now();
    const report = await readiness.report();
    assert.ok(Date.now() - started < 1_000, 'a hung probe does not hold the answer');
    assert.deepEqual(report.checks, { cases: 'unavailable', bus: 'unavailable' });
  });

  it('is not ready once draining, even with every dependency up', async () => {
    const readiness = createReadiness(200);
    readiness.add('store', async () => true);
    readiness.drain();
    assert.deepEqual(await readiness.report(), { ready: false, shuttingDown: true, checks: { store: 'ok' } });
  });
});
