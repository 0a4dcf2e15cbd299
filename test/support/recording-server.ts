/**
 * A real HTTP server on 127.0.0.1 (port chosen by the kernel) that records every request it receives — method, path,
 * headers, raw and parsed body — and answers what the test told it to (a status, headers, a body, after a delay).
 * For tests of anything that calls out over HTTP (webhooks, `http.request`, identity providers): the test asserts on
 * what really arrived instead of on a mock.
 *
 *   const server = await startRecordingServer();
 *   server.respond({ status: 202, body: { ok: true } });
 *   … code under test posts to `${server.url}/hook` …
 *   const [req] = await server.waitFor(1);
 *   assert.equal(req.headers['content-type'], 'application/json');
 *   await server.close();
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach } from 'node:test';

export interface RecordedRequest {
  method: string;
  /** Path and query string, as sent (`/hook?x=1`). */
  path: string;
  /** Lower-cased header names, as node parses them. */
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed as JSON when it is JSON (by content type or by shape), otherwise the raw text; null when empty. */
  body: unknown;
  /** Milliseconds since the server started. */
  at: number;
}

export interface Reply {
  status?: number;
  headers?: OutgoingHttpHeaders;
  /** An object or array is sent as JSON; a string as is. Default: `{"ok":true}`. */
  body?: unknown;
  /** Wait this long before answering (timeouts). */
  delayMs?: number;
}

export type Responder = Reply | ((req: RecordedRequest) => Reply);

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  readonly requests: RecordedRequest[];
  /** How later requests are answered (default: 200 `{"ok":true}`). */
  respond(responder: Responder): void;
  /** Resolves once `count` requests have arrived in total (with the first `count`); rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Forgets the recorded requests and restores the default answer. */
  reset(): void;
  /** Stops listening and drops open connections (including answers still delayed). */
  close(): Promise<void>;
}

const DEFAULT_REPLY: Reply = { status: 200, body: { ok: true } };

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return null;
  const looksJson = /^\s*[[{"]/.test(raw);
  if ((contentType ?? '').includes('json') || looksJson) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return raw;
    }
  }
  return raw;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();
  let responder: Responder = DEFAULT_REPLY;
  const t0 = Date.now();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody,
        body: parseBody(rawBody, req.headers['content-type']),
        at: Date.now() - t0,
      };
      requests.push(recorded);
      for (const wake of waiters) wake();
      const reply = typeof responder === 'function' ? responder(recorded) : responder;
      const send = () => {
        if (res.destroyed) return;
        const body = reply.body === undefined ? DEFAULT_REPLY.body : reply.body;
        const isText = typeof body === 'string';
        const payload = isText ? body : JSON.stringify(body);
        res.writeHead(reply.status ?? 200, {
          'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json',
          ...reply.headers,
        });
        res.end(payload);
      };
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send();
        }, reply.delayMs);
        timers.add(timer);
      } else {
        send();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    respond(r) {
      responder = r;
    },
    waitFor(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`recording server: ${requests.length} request(s) after ${timeoutMs} ms, waited for ${count}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    reset() {
      requests.length = 0;
      responder = DEFAULT_REPLY;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * For a `describe` block: a recording server started before its tests, reset before each and closed after. Call it
 * in the block's body; the returned getter is valid inside the tests.
 */
export function recordingServerPerSuite(): () => RecordingServer {
  let server: RecordingServer | undefined;
  before(async () => {
    server = await startRecordingServer();
  });
  after(async () => {
    await server?.close();
  });
  beforeEach(() => server?.reset());
  return () => server!;
}
