/** The console setting: how long a sign-in lasts — default, environment and file, refused values. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, ConfigSchema, loadConfig } from '@bulwark/config';

describe('console.session_ttl', () => {
  it('defaults to 12 hours and is read from the environment or the file as a duration', () => {
    assert.equal(loadConfig({}).console.session_ttl, 12 * 3_600_000);
    assert.equal(loadConfig({ BULWARK_CONSOLE_SESSION_TTL: '30m' }).console.session_ttl, 30 * 60_000);
    assert.equal(ConfigSchema.parse({ console: { session_ttl: '2d' } }).console.session_ttl, 2 * 86_400_000);
  });

  it('refuses a lifetime under a minute, over 30 days, or not a duration, naming the path', () => {
    for (const value of ['5s', '31d', 'forever']) {
      assert.throws(
        () => loadConfig({ BULWARK_CONSOLE_SESSION_TTL: value }),
        (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.path === 'console.session_ttl'),
        value,
      );
    }
  });
});
