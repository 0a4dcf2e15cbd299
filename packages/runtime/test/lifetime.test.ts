/**
 * A process's lifetime releases what its root registered, last registered first (services before the adapters they
 * use), keeps going past a failing release, and releases at once what is registered after shutdown began.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createLifetime } from '../src/index.js';

const silent = pino({ level: 'silent' });

describe('lifetime', () => {
  it('releases last registered first, past a failing release, once', async () => {
    const order: string[] = [];
    const lifetime = createLifetime(silent);
    lifetime.onClose(async () => void order.push('store'));
    lifetime.onClose(async () => {
      order.push('bus');
      throw new Error('the bus was already gone');
    });
    lifetime.onClose(async () => void order.push('correlator'));
    await Promise.all([lifetime.close(), lifetime.close()]);
    await lifetime.close();
    assert.deepEqual(order, ['correlator', 'bus', 'store']);
  });

  it('releases at once what is registered after shutdown began (a start that finished late)', async () => {
    const lifetime = createLifetime(silent);
    await lifetime.close();
    let released = false;
    lifetime.onClose(async () => {
      released = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(released, true);
  });

  it('cannot be changed by whoever holds it', () => {
    const lifetime = createLifetime(silent);
    assert.ok(Object.isFrozen(lifetime));
  });
});

describe('lifetime pending', () => {
  it('names what is being released and what waits after it, for a shutdown that runs out of time', async () => {
    const lifetime = createLifetime(silent);
    let finishBus: () => void = () => {};
    lifetime.onClose(async () => {}, 'log store');
    lifetime.onClose(() => new Promise<void>((resolve) => (finishBus = resolve)), 'bus');
    lifetime.onClose(async () => {}, 'correlator');
    assert.deepEqual(lifetime.pending(), [], 'nothing is pending before the shutdown');
    const closed = lifetime.close();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(lifetime.pending(), ['bus', 'log store'], 'the correlator was released; the bus hangs');
    finishBus();
    await closed;
    assert.deepEqual(lifetime.pending(), []);
  });
});
