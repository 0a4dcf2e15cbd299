/**
 * The runs API through the api's origin (docs/ARCHITECTURE.md, "The console in scale mode"). In scale mode the runs
 * API — playbooks, actions, runs and their decisions, the responder's status and breaker — is served by the responder
 * processes, while people open the console on the api. The api forwards those routes to `api.responder_url` (one
 * address in front of every responder: a Kubernetes Service, the compose balancer) with http-proxy-middleware, so the
 * console's Runs pages and approvals work from the page's one origin.
 *
 * The api decides nothing about these requests: the responder authenticates them itself (scale mode's tokens and
 * sessions live in the shared store, so it knows the same people) and applies its scopes, separation of duties and the
 * session's CSRF checks. What must reach it intact for that: the Authorization header, the session cookie, the
 * X-CSRF-Token and Origin headers — and the Host header. The CSRF check compares a browser's Origin with the request's
 * Host; the forwarded request keeps the Host the browser sent (no `changeOrigin`), so the responder compares exactly
 * what the api would have. The other way — the responder believing an X-Forwarded-Host — would make it trust a header
 * anyone who reaches a responder directly can set, and need the responder to know which peers are the api; keeping
 * Host needs no trust at all. For an https responder the TLS name checked is the responder's own (`servername`), not
 * the browser's Host.
 *
 * Bodies stream both ways (nothing is parsed or buffered here; the responder's own body limits apply). Failures are
 * catalogue errors, never a hang: no `api.responder_url` → 503 BWK_RESPONDER_NOT_CONFIGURED (not a 404 the console
 * would read as "no such run"); the responder unreachable or breaking off → 502 BWK_RESPONDER_UNREACHABLE; no answer
 * begun within `api.responder_timeout` → 504 BWK_RESPONDER_TIMEOUT. An answer that stalls or breaks off after it began
 * ends the client's connection (its status is already sent).
 */
import { Agent as HttpAgent, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import type { Config } from '@bulwark/config';
import { sendError, type HttpDeps } from '@bulwark/http';
import { BulwarkError } from '@bulwark/schema';

/** The path prefixes the responder serves (services/responder/src/routes.ts) and the api forwards. */
export const RESPONDER_ROUTE_PREFIXES = ['/v1/playbooks', '/v1/actions', '/v1/runs', '/v1/responder'] as const;

/** True for a path of the runs API: a prefix itself or below it (`/v1/runs/x`), not a longer name (`/v1/runsx`). */
export function isResponderRoute(pathname: string): boolean {
  return RESPONDER_ROUTE_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

/** How long a forwarded request may wait for a retry (the responder restarting, a Service gaining endpoints). */
const RETRY_AFTER_S = '5';

export interface ResponderForwardDeps {
  readonly config: Pick<Config, 'api'>;
  readonly logger: HttpDeps['logger'];
}

/** The middleware forwarding the runs API, or answering 503 for it when no responder is configured. */
export function responderForward(deps: ResponderForwardDeps): RequestHandler {
  const { responder_url: url, responder_timeout: timeoutMs } = deps.config.api;
  if (!url) return notConfigured;
  const target = new URL(url);
  const responder = target.host;
  // Keep-alive to the responder, idle sockets closed well before its 65 s keepAliveTimeout (serve.ts) so a request
  // is never written to a socket the responder is closing.
  const agent =
    target.protocol === 'https:'
      ? new HttpsAgent({ keepAlive: true, timeout: 30_000, servername: target.hostname })
      : new HttpAgent({ keepAlive: true, timeout: 30_000 });
  const timedOut = new WeakSet<IncomingMessage>();

  const proxy = createProxyMiddleware<Request, Response>({
    target: target.origin,
    agent,
    changeOrigin: false,
    xfwd: false,
    pathFilter: (pathname) => isResponderRoute(pathname),
    on: {
      proxyReq(proxyReq, req) {
        // Until the answer begins: connecting included (a socket timeout would start only once connected).
        const timer = setTimeout(() => {
          timedOut.add(req);
          proxyReq.destroy(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
        proxyReq.once('response', () => clearTimeout(timer));
        proxyReq.once('close', () => clearTimeout(timer));
      },
      proxyRes(proxyRes, _req, res) {
        // Once the answer has begun, its status is sent: a stall or a break ends the client's connection instead.
        proxyRes.setTimeout(timeoutMs, () => proxyRes.destroy());
        proxyRes.once('close', () => {
          if (!proxyRes.complete) res.destroy();
        });
      },
      error(err, req, res) {
        const code = (err as NodeJS.ErrnoException).code ?? err.message;
        const timeout = timedOut.has(req);
        deps.logger.warn({ responder, method: req.method, path: req.path, reason: code, timeout }, 'forwarding to the responder failed');
        if (!isResponse(res)) return (res as Socket).destroy();
        if (res.headersSent) return res.destroy();
        res.setHeader('Retry-After', RETRY_AFTER_S);
        sendError(
          res as Response,
          timeout
            ? new BulwarkError('BWK_RESPONDER_TIMEOUT', `the responder at ${responder} did not answer within ${timeoutMs} ms; retry later`, { responder, timeout_ms: timeoutMs })
            : new BulwarkError('BWK_RESPONDER_UNREACHABLE', `the responder at ${responder} could not be reached (${code}); retry later`, { responder, reason: String(code) }),
        );
      },
    },
  });
  return proxy as unknown as RequestHandler;
}

function isResponse(res: ServerResponse | Socket): res is ServerResponse {
  return typeof (res as ServerResponse).writeHead === 'function';
}

const notConfigured: RequestHandler = (req, _res, next) => {
  if (!isResponderRoute(req.path)) return next();
  next(
    new BulwarkError(
      'BWK_RESPONDER_NOT_CONFIGURED',
      `${req.path} is served by the responders, and this api forwards to none: set api.responder_url (BULWARK_API_RESPONDER_URL) to their address`,
      { setting: 'api.responder_url' },
    ),
  );
};
