/**
 * A throwaway OpenSearch node of a suite's own, for tests that stop and restart the engine (the shared node from
 * `test/services/up` must stay up for the other suites). Runs the same jars and JDK as the shared node; `up` exports
 * them as OPENSEARCH_LIB and OPENSEARCH_JAVA.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awaitClusterHealth, killOutright } from './jvm-node.js';

const MAIN = 'org.codelibs.opensearch.runner.OpenSearchRunner';
const YML = fileURLToPath(new URL('../services/opensearch/opensearch.yml', import.meta.url));

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\`, or \`test/services/up opensearch && source test/.services.env\` first`);
  return value;
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The runner only binds HTTP ports up to 9299; take a free one from the top of the range. */
async function freePort(): Promise<number> {
  for (let p = 9299; p > 9260; p--) if ((await portIsFree(p)) && (await portIsFree(p - 1))) return p;
  throw new Error('no free port in 9261..9299 for a test OpenSearch node');
}

export class OwnOpenSearchNode {
  readonly base = mkdtempSync(join(tmpdir(), 'bwk-os-node-'));
  private child: ChildProcess | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts, on the same data) and waits for yellow health. */
  async start(timeoutMs = 120_000): Promise<void> {
    if (!this.port) this.port = await freePort();
    mkdirSync(join(this.base, 'config'), { recursive: true });
    mkdirSync(join(this.base, 'tmp'), { recursive: true });
    copyFileSync(YML, join(this.base, 'config/opensearch.yml'));
    const java = requireEnv('OPENSEARCH_JAVA');
    const lib = requireEnv('OPENSEARCH_LIB');
    this.child = spawn(
      java,
      ['-Xms384m', '-Xmx768m', '-XX:+UseG1GC', `-Djava.io.tmpdir=${join(this.base, 'tmp')}`, '--enable-native-access=ALL-UNNAMED',
        '-cp', `${lib}/*`, MAIN, '-basePath', this.base, '-confPath', join(this.base, 'config'), '-numOfNode', '1',
        '-baseHttpPort', String(this.port - 1), '-clusterName', 'bulwark-own-node'],
      { stdio: 'ignore', detached: false },
    );
    await awaitClusterHealth(this.url, 'bulwark-own-node', this.child, 'OpenSearch', timeoutMs, 500);
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
