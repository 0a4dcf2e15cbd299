/**
 * Native ingest routes: Kubernetes audit webhook, Falco / Falcosidekick, Loki push, container log lines and generic
 * events. Each is decode → store → answer; see `ingest.ts` for the acknowledgement rules.
 */
import { Router } from 'express';
import {
  decodeContainerLogs,
  decodeFalco,
  decodeGenericEvents,
  decodeK8sAudit,
  decodeLokiPush,
  type DecodeOptions,
} from '@bulwark/ingest';
import { bodyOf, mediaTypeOf, rawBody, type ServiceDeps } from '@bulwark/http';
import { answerIngest, ingestDecoded } from './ingest.js';

export function nativeIngestRouter(deps: ServiceDeps): Router {
  const router = Router();
  const { config, store, auth } = deps;
  // Senders that cannot set a bearer header (Falco's http_output, Promtail basic_auth) may send the token as a Basic
  // password, as on the Elasticsearch surface.
  const guard = [auth.require('ingest', { esSchemes: true }), rawBody(config.ingest.max_body_bytes)];
  const options = (req: Parameters<typeof mediaTypeOf>[0]): DecodeOptions => ({
    charset: mediaTypeOf(req).charset,
    maxDepth: config.ingest.max_depth,
    keepOriginal: config.ingest.keep_original,
    now: new Date(),
  });

  router.post('/v1/ingest/k8s-audit', ...guard, async (req, res) => {
    answerIngest(res, await ingestDecoded(store, decodeK8sAudit(bodyOf(req), options(req))));
  });

  router.post('/v1/ingest/falco', ...guard, async (req, res) => {
    answerIngest(res, await ingestDecoded(store, decodeFalco(bodyOf(req), options(req))));
  });

  // Loki answers 204 on success; Promtail, Grafana Alloy and the Docker driver expect any 2xx.
  router.post('/loki/api/v1/push', ...guard, async (req, res) => {
    const decoded = decodeLokiPush(bodyOf(req), mediaTypeOf(req).type, options(req));
    answerIngest(res, await ingestDecoded(store, decoded), 204);
  });

  router.post('/v1/ingest/container-logs', ...guard, async (req, res) => {
    const path = typeof req.query.path === 'string' ? req.query.path : req.header('x-bulwark-log-path');
    const decoded = decodeContainerLogs(bodyOf(req), { ...options(req), ...(path ? { path } : {}) });
    answerIngest(res, await ingestDecoded(store, decoded));
  });

  router.post('/v1/ingest/events', ...guard, async (req, res) => {
    answerIngest(res, await ingestDecoded(store, decodeGenericEvents(bodyOf(req), options(req))));
  });

  return router;
}
