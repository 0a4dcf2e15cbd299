/**
 * What shippers probe before they send: version info, license, cluster health, and the template / lifecycle / data
 * stream set-up calls. Bulwark answers as an Elasticsearch 8 cluster would so Filebeat, Logstash, Vector, Fluent Bit,
 * rsyslog (omelasticsearch) and syslog-ng (elasticsearch-http) work unchanged. Templates and policies sent here are
 * acknowledged and remembered for GET, but Bulwark keeps its own mappings.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { randomUUID } from 'node:crypto';

/** The Elasticsearch version Bulwark reports; clients of the 8.x line accept it. */
export const ES_COMPAT_VERSION = '8.17.0';

const clusterUuid = randomUUID();

export function versionInfo(): Record<string, unknown> {
  return {
    name: 'bulwark',
    cluster_name: 'bulwark',
    cluster_uuid: clusterUuid,
    version: {
      number: ES_COMPAT_VERSION,
      build_flavor: 'default',
      build_type: 'bulwark',
      build_hash: '0000000000000000000000000000000000000000',
      build_date: '2024-12-11T12:08:05.663969764Z',
      build_snapshot: false,
      lucene_version: '9.12.0',
      minimum_wire_compatibility_version: '7.17.0',
      minimum_index_compatibility_version: '7.0.0',
    },
    tagline: 'You Know, for Search',
  };
}

function health(): Record<string, unknown> {
  return {
    cluster_name: 'bulwark',
    status: 'green',
    timed_out: false,
    number_of_nodes: 1,
    number_of_data_nodes: 1,
    active_primary_shards: 1,
    active_shards: 1,
    relocating_shards: 0,
    initializing_shards: 0,
    unassigned_shards: 0,
    delayed_unassigned_shards: 0,
    number_of_pending_tasks: 0,
    number_of_in_flight_fetch: 0,
    task_max_waiting_in_queue_millis: 0,
    active_shards_percent_as_number: 100.0,
  };
}

type Kind = 'index_template' | 'template' | 'ilm' | 'data_stream';

/** Remembers set-up objects so a shipper's GET after PUT sees what it sent. */
class SetupRegistry {
  private readonly objects = new Map<string, unknown>();
  get(kind: Kind, name: string): unknown {
    return this.objects.get(`${kind}/${name}`);
  }
  put(kind: Kind, name: string, body: unknown): void {
    if (this.objects.size < 1000) this.objects.set(`${kind}/${name}`, body ?? {});
  }
}

function jsonBody(req: Request): unknown {
  const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  if (!raw.trim()) return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return {};
  }
}

function getResponse(kind: Kind, name: string, body: unknown): unknown {
  switch (kind) {
    case 'index_template':
      return { index_templates: [{ name, index_template: body }] };
    case 'template':
      return { [name]: body };
    case 'ilm':
      return { [name]: { version: 1, modified_date: new Date().toISOString(), policy: (body as { policy?: unknown }).policy ?? {} } };
    case 'data_stream':
      return {
        data_streams: [
          { name, timestamp_field: { name: '@timestamp' }, indices: [], generation: 1, status: 'GREEN', template: name, hidden: false, system: false },
        ],
      };
  }
}

/** Probe and set-up routes; `requireIngest` guards them and `readBody` reads PUT bodies. */
export function esInfoRouter(requireIngest: RequestHandler, readBody: RequestHandler): Router {
  const router = Router();
  const registry = new SetupRegistry();
  router.get('/', requireIngest, (_req, res) => void res.json(versionInfo()));
  router.head('/', requireIngest, (_req, res) => void res.status(200).end());
  router.get('/_license', requireIngest, (_req, res) => {
    res.json({
      license: {
        status: 'active',
        uid: clusterUuid,
        type: 'basic',
        issue_date: '2024-01-01T00:00:00.000Z',
        issue_date_in_millis: 1704067200000,
        max_nodes: 1000,
        max_resource_units: null,
        issued_to: 'bulwark',
        issuer: 'elasticsearch',
        start_date_in_millis: -1,
      },
    });
  });
  router.get('/_xpack', requireIngest, (_req, res) => {
    res.json({ build: { hash: '0', date: '2024-12-11' }, license: { uid: clusterUuid, type: 'basic', mode: 'basic', status: 'active' }, features: {} });
  });
  router.get('/_cluster/health', requireIngest, (_req, res) => void res.json(health()));
  router.get('/_cluster/health/:index', requireIngest, (_req, res) => void res.json(health()));
  router.get('/_cat/health', requireIngest, (req, res) => {
    const now = Math.floor(Date.now() / 1000);
    const row = { epoch: String(now), timestamp: new Date().toISOString().slice(11, 19), cluster: 'bulwark', status: 'green', 'node.total': '1', 'node.data': '1', shards: '1', pri: '1', relo: '0', init: '0', unassign: '0', pending_tasks: '0', max_task_wait_time: '-', active_shards_percent: '100.0%' };
    if (req.query.format === 'json') return void res.json([row]);
    const text = Object.values(row).join(' ');
    const header = 'v' in req.query ? `${Object.keys(row).join(' ')}\n` : '';
    res.type('text/plain').send(`${header}${text}\n`);
  });

  const setup: Array<[string, Kind]> = [
    ['/_index_template/:name', 'index_template'],
    ['/_template/:name', 'template'],
    ['/_ilm/policy/:name', 'ilm'],
    ['/_data_stream/:name', 'data_stream'],
  ];
  for (const [path, kind] of setup) {
    // A HEAD or GET says "exists" for any name: Bulwark manages its own storage, so shippers need not install anything.
    router.head(path, requireIngest, (_req: Request, res: Response) => void res.status(200).end());
    router.get(path, requireIngest, (req: Request, res: Response) => {
      const name = String(req.params.name);
      res.json(getResponse(kind, name, registry.get(kind, name) ?? {}));
    });
    router.put(path, requireIngest, readBody, (req: Request, res: Response) => {
      registry.put(kind, String(req.params.name), jsonBody(req));
      res.json({ acknowledged: true });
    });
    if (kind === 'index_template' || kind === 'template') {
      router.post(path, requireIngest, readBody, (req: Request, res: Response) => {
        registry.put(kind, String(req.params.name), jsonBody(req));
        res.json({ acknowledged: true });
      });
    }
  }
  return router;
}
