import { readFileSync, rmSync, statSync } from 'node:fs';
import { BlockLogStore, eventToRow } from '@bulwark/store';
const docs = readFileSync(process.argv[2]!, 'utf8').split('\n').map((l) => JSON.parse(l));
const path = `/tmp/zt/blk2-${Date.now()}.db`;
const store = new BlockLogStore({ path });
await store.init();
const rows = docs.map((d, i) => eventToRow(d, i));
// group as the bench does: 1000 per request, mixed datasets in one request
for (let i = 0; i < rows.length; i += 1000) store.appendRows(rows.slice(i, i + 1000));
store.database.pragma('wal_checkpoint(TRUNCATE)');
const n = rows.length;
const db = store.database;
console.log('file B/ev', (statSync(path).size / n).toFixed(1));
try {
  const t = db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC").all() as { name: string; bytes: number }[];
  for (const r of t.slice(0, 12)) console.log(r.name.padEnd(28), (r.bytes / n).toFixed(1));
} catch (e) { console.log('no dbstat', (e as Error).message); }
const q = (sql: string) => (db.prepare(sql).pluck().get() as number) / n;
console.log('data', q('SELECT sum(length(data)) FROM block_columns').toFixed(1), 'filters', q('SELECT sum(length(bits)) FROM block_filters').toFixed(1), 'ts', q('SELECT sum(length(ts)) FROM blocks').toFixed(1), 'seqs', q('SELECT sum(length(seqs)) FROM blocks').toFixed(1), 'schema', q('SELECT sum(length(schema)) FROM blocks').toFixed(1));
await store.close();
rmSync(path, { force: true });
