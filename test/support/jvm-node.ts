/**
 * What the suites' own search-engine nodes (opensearch-node.ts, elasticsearch-node.ts) share: waiting for the
 * node's cluster health, and killing the JVM outright — the crash acknowledged writes must survive.
 */
import type { ChildProcess } from 'node:child_process';

/** Resolves once `url` reports yellow health for `cluster`; fails if the JVM exits or `timeoutMs` passes. */
export async function awaitClusterHealth(url: string, cluster: string, child: ChildProcess, engine: string, timeoutMs: number, everyMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`);
      if (res.ok && ((await res.json()) as { cluster_name?: string }).cluster_name === cluster) return;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null) throw new Error(`the test ${engine} node exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`the test ${engine} node was not ready on ${url} within ${timeoutMs} ms`);
}

/** SIGKILL, no graceful shutdown; resolves once the process is gone. */
export async function killOutright(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
