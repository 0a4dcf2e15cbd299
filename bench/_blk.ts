import { readFileSync, rmSync, statSync } from 'node:fs';
import { BlockLogStore, eventToRow, parseQuery } from '@bulwark/store';
const file = process.argv[2]!;
const docs = readFileSync(file, 'utf8').split('\n').map((l) => JSON.parse(l));
const path = `/tmp/zt/blk-${Date.now()}.db`;
const store = new BlockLogStore({ path });
await store.init();
const rows = docs.map((d, i) => eventToRow(d, i));
const t = performance.now();
for (let i = 0; i < rows.length; i += 1000) store.appendRows(rows.slice(i, i + 1000));
const ms = performance.now() - t;
store.database.pragma('wal_checkpoint(TRUNCATE)');
const size = statSync(path).size;
console.log(file, 'ev/s', Math.round(rows.length / ms * 1000), 'bytes/ev', (size / rows.length).toFixed(1));
const bytes = store.database.prepare('SELECT sum(bytes) FROM blocks').pluck().get() as number;
const ids = store.database.prepare("SELECT count(*) FROM event_ids").pluck().get();
console.log('block bytes/ev', (bytes / rows.length).toFixed(1), 'ids', ids);
for (const q of ['', 'kubernetes.audit.verb:delete', docs[12345].kubernetes?.audit?.auditID ?? 'x', 'storefront']) {
  const t2 = performance.now();
  const r = await store.search({ query: parseQuery(q.includes(':') || q === '' ? q : `"${q}"`), size: 100 });
  console.log(JSON.stringify(q).slice(0, 50), r.hits.length, (performance.now() - t2).toFixed(1), 'ms');
}
const t3 = performance.now();
const h = await store.histogram({ query: parseQuery(''), from: new Date(Date.parse(docs[0]['@timestamp']) - 3600e3), to: new Date(Date.parse(docs[0]['@timestamp']) + 86400e3), intervalMs: 60000 });
console.log('histogram', h.total, (performance.now() - t3).toFixed(1), 'ms');
await store.close();
rmSync(path, { force: true });
