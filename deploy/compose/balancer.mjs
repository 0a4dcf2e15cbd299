// One port in front of several collectors (docker-compose.yml, `ingest`), or the responders (`responders`, where the
// api forwards the runs API): an HTTP reverse proxy, round robin per request over the backends whose /readyz answered
// last time it was asked (every 2 s). Plain Node, no dependency, so it runs from Bulwark's own image. Per request rather
// than per connection: shippers keep one connection open for hours, and a TCP balancer would pin each to one collector.
// Headers pass unchanged, Host included: the responders check a console request's Origin against it.
//
//   BALANCER_BACKENDS=collector-1:8080,collector-2:8080  BALANCER_PORT=8080  node deploy/compose/balancer.mjs
//
// A backend that fails mid-request answers the sender 503 with Retry-After: every shipper retries that, and the
// collector's idempotent writes (event.id) make the retry store nothing twice (README "Acknowledgement").
import http from 'node:http';

const PROBE_INTERVAL_MS = 2_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer']);

const backends = (process.env.BALANCER_BACKENDS ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map((hostPort) => {
    const [host, port = '8080'] = hostPort.split(':');
    return { host, port: Number(port), ready: false };
  });
if (backends.length === 0) {
  console.error(JSON.stringify({ level: 'fatal', msg: 'BALANCER_BACKENDS names no backend (host:port,host:port)' }));
  process.exit(2);
}
const port = Number(process.env.BALANCER_PORT ?? 8080);
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
const log = (level, msg, fields = {}) => console.log(JSON.stringify({ level, time: Date.now(), name: 'balancer', msg, ...fields }));

async function probe(backend) {
  const was = backend.ready;
  try {
    const res = await fetch(`http://${backend.host}:${backend.port}/readyz`, { signal: AbortSignal.timeout(1_500) });
    await res.arrayBuffer();
    backend.ready = res.ok;
  } catch {
    backend.ready = false;
  }
  if (was !== backend.ready) log('info', `${backend.host}:${backend.port} ${backend.ready ? 'ready' : 'not ready'}`);
}
const probeAll = () => Promise.all(backends.map(probe));
setInterval(probeAll, PROBE_INTERVAL_MS).unref();
await probeAll();

let next = 0;
/** The next ready backend in turn; when none is ready, the next one anyway (its answer says why). */
function pick() {
  for (let i = 0; i < backends.length; i++) {
    const backend = backends[next++ % backends.length];
    if (backend.ready) return backend;
  }
  return backends[next++ % backends.length];
}

const withoutHopByHop = (headers) => Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())));

function unavailable(res, message) {
  if (res.headersSent) return res.destroy();
  res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  res.end(JSON.stringify({ error: { code: 'BALANCER_BACKEND_UNAVAILABLE', message } }));
}

const server = http.createServer((req, res) => {
  const backend = pick();
  const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', ');
  const upstream = http.request(
    {
      host: backend.host,
      port: backend.port,
      method: req.method,
      path: req.url,
      agent,
      headers: { ...withoutHopByHop(req.headers), 'x-forwarded-for': forwardedFor },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      answer.pipe(res);
    },
  );
  upstream.on('error', (err) => {
    backend.ready = false;
    log('warn', `${backend.host}:${backend.port} failed a request`, { err: err.message });
    unavailable(res, `${backend.host}:${backend.port} failed: retry`);
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
server.listen(port, () => log('info', `listening on ${port}`, { backends: backends.map((b) => `${b.host}:${b.port}`) }));

// SIGTERM (tini forwards it): stop accepting, let requests in flight finish, bounded like Bulwark's own drain.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    log('info', `${signal}: draining`);
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  });
}
