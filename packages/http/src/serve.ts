/**
 * Listening, apart from building (`buildApp(deps)` never listens): every Bulwark service serves its app through this,
 * so each answers malformed requests the same way and keeps idle connections the same time.
 */
import type { Server } from 'node:http';
import type { Express } from 'express';
import { answerClientErrors } from './client-errors.js';

/** Listens on `port` (0: any free one) and `host`; resolves once bound, rejects when the address cannot be bound. */
export async function listen(app: Express, address: { port: number; host: string }): Promise<Server> {
  const server = app.listen(address.port, address.host);
  // An over-long URL or header section is answered 414/431 as catalogue JSON, not with Node's bare status line.
  answerClientErrors(server);
  // Shippers hold connections open between batches; keep idle ones longer than common load balancers (60 s) so the
  // server is never the side that closes a connection a client is about to reuse.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return server;
}
