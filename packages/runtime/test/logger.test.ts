/**
 * The process's logger writes JSON lines or pino-pretty text as `log.format` says, and redacts credentials in both:
 * the censor runs inside pino before either format sees the line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { loadConfig } from '@bulwark/config';
import { createLogger, resolveLogFormat } from '../src/index.js';

const SECRETS = ['Bearer bwk_secret_header_value', 'hunter2-store-password', 'bwk_nested_token_secret', 'top-level-api-key'];

async function linesOf(format: 'json' | 'pretty'): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const logger = createLogger(loadConfig({ BULWARK_LOG_FORMAT: format }), out);
  logger.warn(
    {
      req: { headers: { authorization: SECRETS[0], 'user-agent': 'fluent-bit' } },
      store: { password: SECRETS[1], url: 'https://search:9200' },
      sender: { token: SECRETS[2] },
      api_key: SECRETS[3],
    },
    'a request with every kind of credential',
  );
  logger.flush();
  await new Promise((resolve) => setImmediate(resolve));
  return text;
}

describe('logger', () => {
  it('writes one JSON object a line in json format, credentials redacted', async () => {
    const text = await linesOf('json');
    const line = JSON.parse(text.trim()) as Record<string, any>;
    assert.equal(line.msg, 'a request with every kind of credential');
    assert.equal(line.req.headers.authorization, '[redacted]');
    assert.equal(line.req.headers['user-agent'], 'fluent-bit', 'what is not a credential is kept');
    assert.equal(line.store.password, '[redacted]');
    assert.equal(line.store.url, 'https://search:9200');
    assert.equal(line.sender.token, '[redacted]');
    assert.equal(line.api_key, '[redacted]');
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} is not in the output`);
  });

  it('writes human-readable text in pretty format, credentials redacted just the same', async () => {
    const text = await linesOf('pretty');
    assert.match(text, /WARN.*a request with every kind of credential/);
    assert.throws(() => JSON.parse(text.trim()), 'not a JSON line');
    assert.match(text, /\[redacted\]/);
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `${secret} is not in the output`);
  });

  it('decides auto as json when stdout is not a terminal (a container, a pipe, a worker thread)', () => {
    assert.equal(resolveLogFormat('json'), 'json');
    assert.equal(resolveLogFormat('pretty'), 'pretty');
    assert.equal(resolveLogFormat('auto'), process.stdout.isTTY ? 'pretty' : 'json');
  });
});
