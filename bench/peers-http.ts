/**
 * What `npm run bench:peers` does the same way for every store it measures, so the figures compare: the `_bulk` load
 * sent with the same concurrency and the same client, queries timed from the client around the whole response, disk
 * use read from the data directory, and child processes started and stopped alike.
 */
import type { ChildProcess } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Request headers both stores get on every query: no compressed responses on loopback, so neither pays for gzip. */
export const QUERY_HEADERS: Record<string, string> = { 'accept-encoding': 'identity' };

/**
 * Posts every body with `concurrency` requests in flight, in order; returns the wall seconds from the first request
 * sent to the last response read. A non-200 answer or an answer reporting item errors fails the run: a rejected
 * batch would flatter whichever side rejected it.
 */
export async function sendBulk(url: string, headers: Record<string, string>, bodies: readonly Buffer[], concurrency: number): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-ndjson' }, body });
      const text = await res.text();
      if (res.status !== 200 || !/"errors":\s*false/.test(text.slice(0, 100))) {
        throw new Error(`_bulk to ${url} failed: ${res.status} ${text.slice(0, 500)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** One query's answer and how long the client waited for all of it (request sent to last byte read). */
export interface Timed {
  ms: number;
  text: string;
}

/** A GET timed the same way for every store: the body is read whole inside the clock, parsed outside it. */
export async function timedGet(url: string, headers: Record<string, string> = {}): Promise<Timed> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { ...QUERY_HEADERS, ...headers } });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 500)}`);
  return { ms, text };
}

/** Bytes a directory takes on disk (allocated blocks, as `du` counts them), every file below it included. */
export function diskBytes(dir: string): number {
  let total = 0;
  const visit = (path: string): void => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return; // removed while we walked it (a merge or checkpoint finished)
    }
    total += st.blocks * 512;
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const name of names) visit(join(path, name));
    }
  };
  visit(dir);
  return total;
}

/** A loopback port nothing listens on right now (the OS's choice), for a server that takes its port as a flag. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` every 100 ms until it resolves true; fails after `timeoutMs` with `what` in the message. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
