/**
 * Graceful shutdown of a service process (SIGTERM from Kubernetes, tini or `docker stop`; SIGINT from a terminal),
 * within `server.shutdown_timeout`:
 *
 * 1. `/readyz` answers 503 at once, and for `server.shutdown_delay` (SIGTERM only: a person's Ctrl-C stops at once)
 *    the process still takes requests, so a load balancer or Service stops routing here before the listener closes.
 * 2. The listener closes (no new connections); requests in flight finish: an ingest request still stores and publishes
 *    its batch before it is answered, so everything acknowledged is in the store and on the bus. Each response sent
 *    from now on closes its keep-alive connection.
 * 3. The lifetime releases everything the root opened, last first (lifetime.ts): the correlator stops taking batches
 *    and acknowledges the one in hand, the responders' queue waits for the step in hand (a step cut short by the
 *    deadline stays in the run's journal and its job comes back to a responder: the run is resumable), decode threads,
 *    the bus, then the stores.
 * 4. Exit 0. Past the deadline: one error line naming what was still running, and exit 1.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Readiness } from '@bulwark/http';
import type { Lifetime } from './lifetime.js';

/** Tracks requests in flight from the moment the server listens, so a shutdown knows what it waits for. */
export interface InFlight {
  /** `METHOD path` of each request not yet answered. */
  requests(): string[];
  /** From now on each response closes its connection; call before closing the listener. */
  draining(): void;
}

export function trackInFlight(servers: Server | readonly Server[]): InFlight {
  const open = new Map<ServerResponse, string>();
  let draining = false;
  // HTTPS with plain HTTP beside it is two servers: requests on either count.
  for (const server of Array.isArray(servers) ? servers : [servers]) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      open.set(res, `${req.method} ${(req.url ?? '').split('?')[0]}`);
      if (draining) res.shouldKeepAlive = false;
      res.once('close', () => {
        open.delete(res);
        // The connection that carried it is idle now: close it rather than wait for the client's keep-alive to end.
        if (draining) server.closeIdleConnections();
      });
    });
  }
  return {
    requests: () => [...open.values()],
    draining() {
      draining = true;
      // Responses not yet started say `Connection: close`: the client opens its next connection elsewhere.
      for (const res of open.keys()) if (!res.headersSent) res.shouldKeepAlive = false;
    },
  };
}

export interface ShutdownParts {
  readonly name: string;
  readonly server: Server;
  readonly inFlight: InFlight;
  readonly lifetime: Lifetime;
  readonly readiness: Readiness;
  readonly logger: Logger;
  /** `server.shutdown_timeout`, ms. */
  readonly timeoutMs: number;
  /** `server.shutdown_delay`, ms: not ready but still serving, before the listener closes. */
  readonly delayMs: number;
}

/** What a shutdown that ran out of time was still doing, for its last log line. */
function stillRunning(parts: ShutdownParts, phase: 'requests' | 'releases'): { requests: string[]; releasing: string[] } {
  return { requests: parts.inFlight.requests(), releasing: phase === 'releases' ? parts.lifetime.pending() : ['(not started: requests were still in flight)'] };
}

/** Drains and releases; resolves with the exit code: 0 when everything finished within the deadline, else 1. */
export async function shutDown(parts: ShutdownParts, signal: string): Promise<0 | 1> {
  const { server, inFlight, lifetime, readiness, logger, timeoutMs } = parts;
  const started = Date.now();
  logger.info({ signal, timeout_ms: timeoutMs, requests_in_flight: inFlight.requests().length }, `bulwark ${parts.name} shutting down`);
  readiness.drain();
  let phase: 'requests' | 'releases' = 'requests';
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const drain = (async () => {
    if (parts.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(parts.delayMs, timeoutMs)));
    inFlight.draining();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    phase = 'releases';
    await lifetime.close();
    return 'done' as const;
  })();
  const outcome = await Promise.race([drain, deadline]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    const running = stillRunning(parts, phase);
    logger.error(
      { timeout_ms: timeoutMs, still_running: running },
      `bulwark ${parts.name} did not shut down within ${timeoutMs} ms; still running: ${describe(running)}`,
    );
    return 1;
  }
  logger.info({ duration_ms: Date.now() - started }, `bulwark ${parts.name} stopped`);
  return 0;
}

function describe(running: { requests: string[]; releasing: string[] }): string {
  const parts: string[] = [];
  if (running.requests.length > 0) parts.push(`${running.requests.length} request(s) in flight (${running.requests.slice(0, 5).join(', ')})`);
  if (running.releasing.length > 0) parts.push(`releasing ${running.releasing.join(', then ')}`);
  return parts.join('; ') || 'nothing reported';
}
