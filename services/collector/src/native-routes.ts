/**
 * Native ingest routes: Kubernetes audit webhook, Falco / Falcosidekick, Loki push, container log lines and generic
 * events. Each is decode → store → answer; see `ingest.ts` for the acknowledgement rules.
 */
import { Router, type Request } from 'express';
import type { DecodeOptions } from '@bulwark/ingest';
import { bodyOf, mediaTypeOf, rawBody, type ServiceDeps } from '@bulwark/http';
import { answerIngest, ingestDecoded } from './ingest.js';
import type { Decoder } from './decoder.js';
import type { DecodeKind } from './decode-task.js';
import { ingestRoute, provenanceOf, sourceGate, type IngestProtocol } from './provenance.js';

export function decodeOptions(deps: ServiceDeps, req: Request): DecodeOptions {
  const { ingest } = deps.config;
  return { charset: mediaTypeOf(req).charset, maxDepth: ingest.max_depth, keepOriginal: ingest.keep_original, now: new Date() };
}

export function nativeIngestRouter(deps: ServiceDeps, decoder: Decoder): Router {
  const router = Router();
  const { config, store, auth } = deps;
  // Senders that cannot set a bearer header (Falco's http_output, Promtail basic_auth) may send the token as a Basic
  // password, as on the Elasticsearch surface.
  const guard = [auth.require('ingest', { esSchemes: true }), rawBody(config.ingest.max_body_bytes)];

  const route = (path: string, kind: DecodeKind & IngestProtocol, okStatus = 200) => {
    const ingest = ingestRoute(path, kind);
    // The source gate runs before the body is read: a refused token costs no decompression.
    router.post(path, guard[0]!, sourceGate(ingest), guard[1]!, async (req, res) => {
      const logPath = typeof req.query.path === 'string' ? req.query.path : req.header('x-bulwark-log-path');
      const decoded = await decoder.decode({
        kind,
        body: bodyOf(req),
        options: decodeOptions(deps, req),
        contentType: mediaTypeOf(req).type,
        provenance: provenanceOf(req, ingest),
        ...(kind === 'container-logs' && logPath ? { path: logPath } : {}),
      });
      answerIngest(res, await ingestDecoded(store, decoded), okStatus);
    });
  };

  route('/v1/ingest/k8s-audit', 'k8s-audit');
  route('/v1/ingest/falco', 'falco');
  // Loki answers 204 on success; Promtail, Grafana Alloy and the Docker driver expect any 2xx.
  route('/loki/api/v1/push', 'loki', 204);
  route('/v1/ingest/container-logs', 'container-logs');
  route('/v1/ingest/events', 'events');
  return router;
}
