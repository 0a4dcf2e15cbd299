// services: process
/**
 * Scale mode's four services each serve `GET /metrics` from their own app, built as their `main.ts` builds it (each on
 * its own core, as each is its own process): the metrics scope is required there too, and each lists exactly the
 * catalogue's metrics for that service — the collector no correlator metric, the api no ingest metric — plus Node's
 * process metrics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { pino } from 'pino';
import { loadConfig } from '@bulwark/config';
import { mintToken } from '@bulwark/http';
import { METRICS, metricsOf, type ServiceName } from '@bulwark/metrics';
import {
  apiDeps, caseServiceFrom, collectorDeps, correlatorDeps, createLifetime, httpDeps, openBusFor, openCases, openCore, openCorrelationStateFor,
  openResponderQueueFor, responderDeps, responderHttpDeps, type Core,
} from '@bulwark/runtime';
import { buildApp as collectorApp } from '@bulwark/collector';
import { buildApp as apiApp } from '@bulwark/api';
import { buildApp as correlatorApp, startCorrelatorService } from '@bulwark/correlator';
import { buildApp as responderApp, startResponder } from '@bulwark/responder';
import { parseScrape } from '../support/scrape.js';

/** Each service's root, as its main.ts composes it. */
const ROOTS: Record<ServiceName, (core: Core) => Promise<Express>> = {
  collector: async (core) => collectorApp(collectorDeps(core, null, await openCases(core))),
  api: async (core) => apiApp(apiDeps(core, caseServiceFrom(core.config, await openCases(core), null), null)),
  correlator: async (core) => {
    const caseService = caseServiceFrom(core.config, await openCases(core, { derived: true }), null);
    const correlator = await startCorrelatorService(correlatorDeps(core, openBusFor(core), openCorrelationStateFor(core), caseService));
    core.lifetime.onClose(() => correlator.close());
    return correlatorApp(httpDeps(core), correlator);
  },
  responder: async (core) => {
    const cases = await openCases(core);
    const responder = await startResponder(responderDeps(core, caseServiceFrom(core.config, cases, null), openResponderQueueFor(core), { server: null } as never));
    return responderApp(responderHttpDeps(core, cases), responder);
  },
};

for (const service of Object.keys(ROOTS) as ServiceName[]) {
  describe(`the ${service} service serves GET /metrics`, () => {
    let dir: string;
    let core: Core;
    let server: Server;
    let url: string;
    const tokens: Record<string, string> = {};

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `bwk-metrics-${service}-`));
      const logger = pino({ level: 'silent' });
      core = await openCore(loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_SQLITE_SYNCHRONOUS: 'NORMAL' }), logger, createLifetime(logger));
      for (const scope of ['metrics', 'read']) {
        const { secret, stored } = mintToken(`${scope}-token`, [scope]);
        await core.tokens.put(stored);
        tokens[scope] = secret;
      }
      const app = await ROOTS[service](core);
      server = app.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      await core?.lifetime.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('needs the metrics scope', async () => {
      assert.equal((await fetch(`${url}/metrics`)).status, 401);
      assert.equal((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${tokens.read}` } })).status, 403);
    });

    it(`lists exactly the ${service}'s metrics of the catalogue, and Node's process metrics`, async () => {
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${tokens.metrics}` } });
      assert.equal(res.status, 200);
      const scrape = parseScrape(await res.text());
      const served = [...scrape.types.keys()].filter((name) => name.startsWith('bulwark_')).sort();
      assert.deepEqual(served, metricsOf(service).map((key) => METRICS[key].name).sort());
      assert.ok(scrape.types.has('process_cpu_seconds_total'));
      assert.equal(scrape.value('bulwark_http_request_duration_seconds_count', { route: '/metrics', status_class: '4xx' }), 2);
    });
  });
}
