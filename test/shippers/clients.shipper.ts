/**
 * The official clients as a service's own log shipper, against the real `npm start` process:
 * - elasticsearch-py 8.x `helpers.streaming_bulk`, Elasticsearch API key auth (`ApiKey base64(id:token)`, the header
 *   Filebeat's and Logstash's `api_key: "id:token"` produce), gzip (`http_compress`);
 * - opensearch-py `helpers.streaming_bulk`, Basic auth, gzip;
 * - go-elasticsearch v8 `esutil.BulkIndexer`, API key, gzip (`CompressRequestBody`).
 * The programs (python/bulk_shipper.py, go-bulk/main.go) re-send what the client reports failed, as any shipper that
 * must not drop lines does; these tests check that Bulwark's answers make that safe: nothing acknowledged is lost
 * across a SIGKILL, a re-send never duplicates, and a 401 is an error the client reports (not a silent success).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { assertExactlyOnce, exportEvents, marker, numberedLines, type ShipperTarget } from './target.js';
import { acceptedLines, finished, installed, startProcess, type ShipperProcess } from './shipper-process.js';
import { shipperSuite } from './suite.js';
import { until } from '../support/until.js';

const here = fileURLToPath(new URL('.', import.meta.url));

interface Client {
  name: string;
  start(url: string, keyFile: string, stdin: string): ShipperProcess;
}

const python = (client: string) => (url: string, keyFile: string, stdin: string) =>
  startProcess(installed('SHIPPERS_PYTHON'), [join(here, 'python/bulk_shipper.py'), '--client', client, '--url', url, '--key-file', keyFile, '--pace', '0.1'], { stdin });

const CLIENTS: Client[] = [
  { name: 'elasticsearch-py streaming_bulk (API key)', start: python('elasticsearch') },
  { name: 'opensearch-py streaming_bulk (Basic)', start: python('opensearch') },
  {
    name: 'go-elasticsearch esutil.BulkIndexer (API key)',
    start: (url, keyFile, stdin) => startProcess(installed('SHIPPERS_GO_BULK'), ['-url', url, '-key-file', keyFile, '-pace', '100ms'], { stdin }),
  },
];

const suite = shipperSuite();

async function setUp(name: string): Promise<{ target: ShipperTarget; keyFile: string }> {
  const { target, d } = await suite.setUp(name, 'client');
  const keyFile = join(d.dir, 'token');
  writeFileSync(keyFile, target.token);
  return { target, keyFile };
}

for (const client of CLIENTS) {
  test(`${client.name}: 1000 lines across a Bulwark SIGKILL mid-stream: every acknowledged line stored, each exactly once`, async () => {
    const { target, keyFile } = await setUp(client.name);
    const m = marker('client');
    const shipper = client.start(target.url, keyFile, numberedLines(m, 1000).join('\n') + '\n');
    suite.track(shipper);
    await until('the first lines acknowledged', async () => acceptedLines(shipper).size >= 200, 60_000, 50);
    const before = acceptedLines(shipper);
    await target.restart(async () => {
      await new Promise((r) => setTimeout(r, 1_500));
    });
    await finished(shipper);
    assert.ok(before.size < 1000, `the restart came mid-stream (${before.size} of 1000 acknowledged before it)`);
    assert.match(shipper.output(), /^retry /m, 'the client saw the restart and re-sent');
    assert.equal(acceptedLines(shipper).size, 1000);
    await assertExactlyOnce(target, m, 1000);
  });

  test(`${client.name}: a wrong token is refused (401) and re-sent, and once fixed every line is stored exactly once`, async () => {
    const { target, keyFile } = await setUp(client.name);
    writeFileSync(keyFile, 'bwk_notarealtokenxxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
    const m = marker('clientwrong');
    const shipper = client.start(target.url, keyFile, numberedLines(m, 50).join('\n') + '\n');
    suite.track(shipper);
    await until('two refused attempts', async () => (shipper.output().match(/^retry 401 /gm) ?? []).length >= 2, 30_000, 100);
    assert.equal(acceptedLines(shipper).size, 0, 'nothing acknowledged with a wrong token');
    assert.equal((await exportEvents(target, m)).length, 0, 'nothing stored with a wrong token');
    writeFileSync(keyFile, target.token);
    await finished(shipper);
    await assertExactlyOnce(target, m, 50);
  });
}
