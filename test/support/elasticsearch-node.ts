/**
 * A throwaway Elasticsearch node of a suite's own, for tests that stop and restart the engine (the shared node from
 * `test/services/up` must stay up for the other suites): the launcher and jars of the shared node, on its JDK; `up`
 * exports them as ELASTICSEARCH_CLASSPATH and ELASTICSEARCH_JAVA. Same interface as OwnOpenSearchNode.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireEnv } from './opensearch-node.js';
import { awaitClusterHealth, killOutright } from './jvm-node.js';

const MAIN = 'org.elasticsearch.node.BulwarkTestNode';
const CLUSTER = 'bulwark-own-es-node';

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Above the shared nodes' ranges (OpenSearch 9250+, Elasticsearch 9280+). */
async function freePort(): Promise<number> {
  for (let p = 9399; p > 9300; p--) if (await portIsFree(p)) return p;
  throw new Error('no free port in 9301..9399 for a test Elasticsearch node');
}

export class OwnElasticsearchNode {
  readonly base = mkdtempSync(join(tmpdir(), 'bwk-es-node-'));
  private child: ChildProcess | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts, on the same data) and waits for yellow health. */
  async start(timeoutMs = 120_000): Promise<void> {
    if (!this.port) this.port = await freePort();
    mkdirSync(join(this.base, 'tmp'), { recursive: true });
    const java = requireEnv('ELASTICSEARCH_JAVA');
    const classpath = requireEnv('ELASTICSEARCH_CLASSPATH');
    // The shared node's class-data archive, mapped read-only (never rewritten from here): half the start time.
    const cds = process.env.ELASTICSEARCH_CDS_ARCHIVE ? [`-XX:SharedArchiveFile=${process.env.ELASTICSEARCH_CDS_ARCHIVE}`, '-Xlog:cds=off'] : [];
    this.child = spawn(
      java,
      ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', `-Djava.io.tmpdir=${join(this.base, 'tmp')}`, '--enable-native-access=ALL-UNNAMED', ...cds,
        '-cp', classpath, MAIN, this.base, String(this.port), CLUSTER],
      { stdio: 'ignore', detached: false },
    );
    await awaitClusterHealth(this.url, CLUSTER, this.child, 'Elasticsearch', timeoutMs, 250);
  }

  /** Kills the JVM outright (no graceful shutdown): what acknowledged writes must survive. */
  async kill(): Promise<void> {
    await killOutright(this.child);
    this.child = null;
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.base, { recursive: true, force: true });
  }
}
