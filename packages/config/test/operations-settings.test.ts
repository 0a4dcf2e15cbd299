/** The operations settings: log format, the shutdown bound and delay — defaults, environment, refused values. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { ConfigError, autoDecodeThreads, loadConfig } from '@bulwark/config';

function problemPaths(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems.map((p) => p.path);
  }
  assert.fail('expected a ConfigError');
}

describe('operations settings', () => {
  it('default to auto logs, a 25 s shutdown bound (under Kubernetes\' 30 s grace) and a 2 s readiness drain', () => {
    const cfg = loadConfig({});
    assert.equal(cfg.log.format, 'auto');
    assert.equal(cfg.server.shutdown_timeout, 25_000);
    assert.equal(cfg.server.shutdown_delay, 2_000);
  });

  it('are read from the environment as durations and formats', () => {
    const cfg = loadConfig({ BULWARK_LOG_FORMAT: 'pretty', BULWARK_SHUTDOWN_TIMEOUT: '10s', BULWARK_SHUTDOWN_DELAY: '0' });
    assert.equal(cfg.log.format, 'pretty');
    assert.equal(cfg.server.shutdown_timeout, 10_000);
    assert.equal(cfg.server.shutdown_delay, 0);
  });

  it('refuse an unknown format and a duration that is not one, naming each path', () => {
    const paths = problemPaths({ BULWARK_LOG_FORMAT: 'xml', BULWARK_SHUTDOWN_TIMEOUT: 'soon' });
    assert.ok(paths.some((p) => p.includes('log.format')), paths.join());
    assert.ok(paths.some((p) => p.includes('server.shutdown_timeout')), paths.join());
  });

  it('decode on one thread per core by default (at most four, inline on one core); a number or 0 is taken as given', () => {
    assert.deepEqual([1, 2, 3, 4, 16].map(autoDecodeThreads), [0, 2, 3, 4, 4]);
    assert.equal(loadConfig({}).ingest.decode_threads, autoDecodeThreads(availableParallelism()));
    assert.equal(loadConfig({ BULWARK_DECODE_THREADS: '0' }).ingest.decode_threads, 0);
    assert.equal(loadConfig({ BULWARK_DECODE_THREADS: '3' }).ingest.decode_threads, 3);
    assert.deepEqual(problemPaths({ BULWARK_DECODE_THREADS: 'many' }), ['ingest.decode_threads']);
  });
});
