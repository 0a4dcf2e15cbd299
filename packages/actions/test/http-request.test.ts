/**
 * `http.request` against a real local HTTP server (test/support/recording-server.ts): what arrives, the allowlist and
 * the SSRF guards (loopback, metadata, IPv6 and IPv4-mapped forms, a name resolving to loopback), no redirects, the
 * deadline, truncation, and secrets kept out of plan, summary, outputs and errors.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { BulwarkError } from '@bulwark/schema';
import { recordingServerPerSuite, type RecordingServer } from '../../../test/support/recording-server.js';
import { httpRequest, OutboundError, restrictedReason, type ActionContext, type HttpSettings, type KubeClients } from '../src/index.js';

const TOKEN = 'tok-7b1d4c2e9f0a-very-secret';
const PASSWORD = 'pw-55c3e1-also-secret';
const SECRETS: Record<string, string> = { 'env:API_TOKEN': TOKEN, 'env:API_PASSWORD': PASSWORD };

function context(http: HttpSettings, extra: Partial<ActionContext> = {}): ActionContext {
  return {
    kube: {} as KubeClients, // no Kubernetes in these actions
    http,
    secret: (ref) => {
      const value = SECRETS[ref];
      if (value === undefined) throw new Error(`no secret ${ref}`);
      return value;
    },
    ...extra,
  };
}

const LOCAL: HttpSettings = { allowHosts: ['127.0.0.1'], allowCidrs: ['127.0.0.0/8'] };

/** Asserts a refusal naming the url field, and returns its message. */
async function refused(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  const err = await promise.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof BulwarkError, `a BulwarkError, got ${String(err)}`);
  assert.equal(err.code, 'BWK_BAD_REQUEST');
  assert.equal(err.details?.field, 'url');
  assert.match(err.message, pattern);
  return err.message;
}

function assertNoSecret(value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  for (const s of [TOKEN, PASSWORD, Buffer.from(`svc:${PASSWORD}`).toString('base64')]) {
    assert.ok(!text.includes(s), `a secret leaked into: ${text.slice(0, 300)}`);
  }
}

describe('http.request', () => {
  const recording = recordingServerPerSuite();
  let server: RecordingServer;
  beforeEach(() => (server = recording()));

  it('sends to an allowed host: method, path, headers, JSON body, bearer token, Idempotency-Key; outputs status and parsed body', async () => {
    server.respond({ status: 201, body: { id: 'T-42', echoed: 'fine' } });
    const ctx = context(LOCAL, { idempotencyKey: 'run-1/notify' });
    const result = await httpRequest.run(ctx, {
      method: 'POST',
      url: `${server.url}/api/tickets?src=bulwark`,
      headers: { 'X-Team': 'sec' },
      body: { title: 'incident', n: 3 },
      auth: { bearer_ref: 'env:API_TOKEN' },
    });
    const [req] = await server.waitFor(1);
    assert.equal(req!.method, 'POST');
    assert.equal(req!.path, '/api/tickets?src=bulwark');
    assert.deepEqual(req!.body, { title: 'incident', n: 3 });
    assert.equal(req!.headers['content-type'], 'application/json');
    assert.equal(req!.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(req!.headers['idempotency-key'], 'run-1/notify');
    assert.equal(req!.headers['x-team'], 'sec');
    assert.equal(result.changed, true);
    assert.equal(result.undo, null);
    assert.deepEqual(result.outputs, { status: 201, body: { id: 'T-42', echoed: 'fine' } });
    assert.equal(result.plan.length, 1);
    const detail = result.plan[0]!.detail as { headers: Record<string, string>; url: string; method: string };
    assert.equal(detail.method, 'POST');
    assert.equal(detail.headers['Authorization'], 'Bearer [redacted]');
    assert.equal(detail.headers['Idempotency-Key'], 'run-1/notify');
    assertNoSecret(result);
  });

  it('basic auth and a string body; the password is in neither plan nor summary', async () => {
    const result = await httpRequest.run(context(LOCAL), {
      method: 'PUT',
      url: `${server.url}/x`,
      body: 'plain words',
      auth: { basic: { user: 'svc', password_ref: 'env:API_PASSWORD' } },
    });
    const [req] = await server.waitFor(1);
    assert.equal(req!.headers.authorization, `Basic ${Buffer.from(`svc:${PASSWORD}`).toString('base64')}`);
    assert.equal(req!.rawBody, 'plain words');
    assert.match(String(req!.headers['content-type']), /^text\/plain/);
    assert.equal(result.plan[0]!.kind, 'patch');
    assertNoSecret(result);
  });

  it('a dry run plans the request with secrets redacted and sends nothing', async () => {
    const result = await httpRequest.run(context(LOCAL, { dryRun: true, idempotencyKey: 'k1' }), {
      method: 'DELETE',
      url: `${server.url}/sessions/alice`,
      auth: { bearer_ref: 'env:API_TOKEN' },
    });
    assert.equal(result.changed, false);
    assert.match(result.summary, /^would send DELETE http:\/\/127\.0\.0\.1:\d+\/sessions\/alice$/);
    assert.equal(result.plan[0]!.kind, 'delete');
    assert.deepEqual((result.plan[0]!.detail as { headers: unknown }).headers, { Authorization: 'Bearer [redacted]', 'Idempotency-Key': 'k1' });
    assertNoSecret(result);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.requests.length, 0);
  });

  it('refuses a host that is not on the allowlist (nothing sent)', async () => {
    await refused(
      httpRequest.run(context({ allowHosts: ['api.example.com', '*.corp.example'], allowCidrs: ['127.0.0.0/8'] }), { method: 'GET', url: `${server.url}/` }),
      /host 127\.0\.0\.1 is not in http\.allowHosts/,
    );
    await refused(
      httpRequest.run(context({ allowHosts: ['*.example.com'] }), { method: 'GET', url: 'https://example.com.evil.test/' }),
      /not in http\.allowHosts/,
    );
    assert.equal(server.requests.length, 0);
  });

  it('refuses the cloud metadata address even when it is allowlisted (and its CIDR allowed)', async () => {
    const settings: HttpSettings = { allowHosts: ['169.254.169.254', 'fd00:ec2::254'], allowCidrs: ['169.254.0.0/16', 'fd00::/8'] };
    const t0 = Date.now();
    await refused(httpRequest.run(context(settings), { method: 'GET', url: 'http://169.254.169.254/latest/meta-data/' }), /cloud metadata/);
    await refused(httpRequest.run(context(settings), { method: 'GET', url: 'http://[fd00:ec2::254]/latest/meta-data/' }), /cloud metadata/);
    // Refused before any connection attempt (an attempt would hang or fail with a network error instead).
    assert.ok(Date.now() - t0 < 500);
    await refused(
      httpRequest.run(context(settings, { dryRun: true }), { method: 'GET', url: 'http://169.254.169.254/latest/meta-data/' }),
      /cloud metadata/,
    );
  });

  it('refuses loopback without allowCidrs: a literal IP and a name that resolves to it (localhost)', async () => {
    const port = server.port;
    await refused(httpRequest.run(context({ allowHosts: ['127.0.0.1'] }), { method: 'GET', url: `${server.url}/` }), /127\.0\.0\.1 is loopback/);
    await refused(
      httpRequest.run(context({ allowHosts: ['localhost'] }), { method: 'GET', url: `http://localhost:${port}/` }),
      /localhost resolves to (127\.0\.0\.1|::1), which is loopback/,
    );
    // allowCidrs for another range does not help.
    await refused(
      httpRequest.run(context({ allowHosts: ['localhost'], allowCidrs: ['10.0.0.0/8'] }), { method: 'GET', url: `http://localhost:${port}/` }),
      /loopback/,
    );
    assert.equal(server.requests.length, 0);
  });

  it('a name that resolves to loopback works once allowCidrs lists loopback (every resolved address checked)', async () => {
    const result = await httpRequest.run(context({ allowHosts: ['localhost'], allowCidrs: ['127.0.0.0/8', '::1/128'] }), {
      method: 'GET',
      url: `http://localhost:${server.port}/hello`,
    });
    assert.equal((result.outputs as { status: number }).status, 200);
    assert.equal((await server.waitFor(1))[0]!.headers.host, `localhost:${server.port}`);
  });

  it('refuses IPv6 loopback and IPv4-mapped loopback, also with 127.0.0.0/8 allowed for [::1]', async () => {
    await refused(
      httpRequest.run(context({ allowHosts: ['::1'], allowCidrs: ['127.0.0.0/8'] }), { method: 'GET', url: `http://[::1]:${server.port}/` }),
      /::1 is loopback/,
    );
    await refused(
      httpRequest.run(context({ allowHosts: ['::ffff:7f00:1'] }), { method: 'GET', url: `http://[::ffff:127.0.0.1]:${server.port}/` }),
      /loopback, inside the IPv6 address ::ffff:7f00:1/,
    );
    await refused(httpRequest.run(context({ allowHosts: ['0.0.0.0'] }), { method: 'GET', url: `http://0.0.0.0:${server.port}/` }), /unspecified/);
    await refused(httpRequest.run(context({ allowHosts: ['10.1.2.3'] }), { method: 'GET', url: 'http://10.1.2.3/' }), /private/);
    // WHATWG URL parsing turns decimal/hex IPv4 spellings into dotted quads before the check.
    await refused(httpRequest.run(context({ allowHosts: ['127.0.0.1'] }), { method: 'GET', url: `http://2130706433:${server.port}/` }), /loopback/);
    assert.equal(server.requests.length, 0);
  });

  it('classifies addresses (restrictedReason)', () => {
    const cases: [string, RegExp | null][] = [
      ['8.8.8.8', null],
      ['2606:4700:4700::1111', null],
      ['::ffff:8.8.8.8', null],
      ['127.0.0.53', /loopback/],
      ['10.0.0.1', /private/],
      ['172.31.255.255', /private/],
      ['192.168.1.1', /private/],
      ['169.254.1.1', /link-local/],
      ['169.254.169.254', /metadata/],
      ['fd00:ec2::254', /metadata/],
      ['::ffff:169.254.169.254', /metadata/],
      ['fd12:3456::1', /unique local/],
      ['fe80::1', /link-local/],
      ['ff02::1', /multicast/],
      ['224.0.0.251', /multicast/],
      ['::', /unspecified/],
      ['::ffff:10.0.0.1', /private/],
      ['64:ff9b::7f00:1', /loopback/],
      ['2002:a00:1::1', /private/],
    ];
    for (const [address, want] of cases) {
      const got = restrictedReason(address);
      if (want === null) assert.equal(got, null, address);
      else assert.match(got ?? '', want, address);
    }
  });

  it('does not follow a redirect', async () => {
    server.respond((req) => (req.path === '/start' ? { status: 302, headers: { location: '/elsewhere' }, body: '' } : { status: 200 }));
    await assert.rejects(
      httpRequest.run(context(LOCAL), { method: 'GET', url: `${server.url}/start` }),
      (err: unknown) => err instanceof OutboundError && err.upstreamStatus === 302 && err.code === 'BWK_UPSTREAM_FAILED' && /redirect to \/elsewhere: not followed/.test(err.message),
    );
    // Expected as a status, it is the result; still one request.
    const result = await httpRequest.run(context(LOCAL), { method: 'GET', url: `${server.url}/start`, expect_status: [302] });
    assert.equal((result.outputs as { status: number }).status, 302);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      server.requests.map((r) => r.path),
      ['/start', '/start'],
    );
  });

  it('gives up after timeoutMs', async () => {
    server.respond({ status: 200, delayMs: 3_000 });
    const t0 = Date.now();
    await assert.rejects(
      httpRequest.run(context({ ...LOCAL, timeoutMs: 300 }), { method: 'GET', url: `${server.url}/slow` }),
      (err: unknown) => err instanceof OutboundError && /timed out after 300 ms/.test(err.message),
    );
    const took = Date.now() - t0;
    assert.ok(took >= 250 && took < 2_000, `took ${took} ms`);
  });

  it('truncates a large response to 64 KiB', async () => {
    server.respond({ status: 200, body: 'x'.repeat(200 * 1024) });
    const result = await httpRequest.run(context(LOCAL), { method: 'GET', url: `${server.url}/big` });
    const outputs = result.outputs as { body: string; truncated?: boolean };
    assert.equal(outputs.body.length, 64 * 1024);
    assert.equal(outputs.truncated, true);
  });

  it('keeps the secret out of errors and outputs even when the server echoes it', async () => {
    server.respond((req) => ({ status: 500, body: { error: 'nope', youSent: req.headers.authorization } }));
    const err = await httpRequest
      .run(context(LOCAL), { method: 'POST', url: `${server.url}/echo`, body: {}, auth: { bearer_ref: 'env:API_TOKEN' } })
      .then(
        () => assert.fail('a 500 is an error'),
        (e: unknown) => e as Error,
      );
    assert.ok(err instanceof OutboundError);
    assert.match(err.message, /answered 500, expected 2xx/);
    assert.match(err.message, /\[redacted\]/);
    assertNoSecret(err.message);
    assertNoSecret(err.stack);

    server.respond((req) => ({ status: 200, body: { youSent: req.headers.authorization } }));
    const ok = await httpRequest.run(context(LOCAL), { method: 'GET', url: `${server.url}/echo`, auth: { bearer_ref: 'env:API_TOKEN' } });
    assert.deepEqual(ok.outputs, { status: 200, body: { youSent: 'Bearer [redacted]' } });
    assertNoSecret(ok);

    // A refused request names no secret either.
    const msg = await refused(
      httpRequest.run(context({ allowHosts: ['127.0.0.1'] }), { method: 'GET', url: `${server.url}/`, auth: { bearer_ref: 'env:API_TOKEN' } }),
      /loopback/,
    );
    assertNoSecret(msg);
  });

  it('rejects bad parameters before sending: scheme, credentials in the URL, forbidden headers, missing settings', async () => {
    await refused(httpRequest.run(context(LOCAL), { method: 'GET', url: 'file:///etc/passwd' }), /only http and https/);
    await refused(httpRequest.run(context(LOCAL), { method: 'GET', url: `http://u:p@127.0.0.1:${server.port}/` }), /credentials in the URL/);
    await assert.rejects(
      httpRequest.run(context(LOCAL), { method: 'GET', url: `${server.url}/`, headers: { Host: 'other' } }),
      (e: unknown) => e instanceof BulwarkError && e.details?.field === 'headers',
    );
    await assert.rejects(
      httpRequest.run({ kube: {} as KubeClients }, { method: 'GET', url: `${server.url}/` }),
      (e: unknown) => e instanceof BulwarkError && e.code === 'BWK_CONFIG_INVALID' && /http\.allowHosts/.test(e.message),
    );
    assert.equal(server.requests.length, 0);
  });

  it('has no undo and needs no RBAC', async () => {
    assert.deepEqual(httpRequest.rbac, []);
    const undone = await httpRequest.undo(context(LOCAL), null);
    assert.equal(undone.changed, false);
    assert.deepEqual(undone.plan, []);
  });
});
