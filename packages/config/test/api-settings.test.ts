/** The api's settings: where it forwards the runs API, and how long it waits — defaults, environment, refused values. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, ConfigSchema, loadConfig } from '@bulwark/config';

const refusedAt = (path: string) => (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.path === path);

describe('api.responder_url and api.responder_timeout', () => {
  it('default to no responder and 30 s, and are read from the environment or the file', () => {
    const defaults = loadConfig({});
    assert.equal(defaults.api.responder_url, undefined);
    assert.equal(defaults.api.responder_timeout, 30_000);
    const fromEnv = loadConfig({ BULWARK_API_RESPONDER_URL: 'http://bulwark-responder:8080', BULWARK_API_RESPONDER_TIMEOUT: '5s' });
    assert.equal(fromEnv.api.responder_url, 'http://bulwark-responder:8080');
    assert.equal(fromEnv.api.responder_timeout, 5_000);
    assert.equal(ConfigSchema.parse({ api: { responder_url: 'https://responders.internal/' } }).api.responder_url, 'https://responders.internal/');
  });

  it('refuses an address that is not http(s), carries a path or query, or a timeout out of bounds, naming the path', () => {
    for (const url of ['ftp://responder:21', 'responder:8080', 'http://responder:8080/v1', 'http://responder:8080/?x=1']) {
      assert.throws(() => loadConfig({ BULWARK_API_RESPONDER_URL: url }), refusedAt('api.responder_url'), url);
    }
    for (const timeout of ['10ms', '11m', 'soon']) {
      assert.throws(() => loadConfig({ BULWARK_API_RESPONDER_TIMEOUT: timeout }), refusedAt('api.responder_timeout'), timeout);
    }
  });
});
