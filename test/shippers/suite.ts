/**
 * What every shipper suite starts and must stop: a Bulwark target, a scratch directory, the shipper processes. Each is
 * registered as it starts and cleaned up after the suite's tests, the last started first (so a shipper stops before
 * the Bulwark it sends to).
 */
import { after } from 'node:test';
import { shipperDir, type ShipperDir } from './shipper-process.js';
import { startTarget, type ShipperTarget } from './target.js';

type Cleanup = () => Promise<unknown> | unknown;

export interface ShipperSuite {
  /** Run `cleanup` after the suite's tests. */
  later(cleanup: Cleanup): void;
  /** A started process (anything with `stop`), stopped after the suite's tests. */
  track<P extends { stop(): Promise<unknown> | unknown }>(p: P): P;
  /** A Bulwark target whose token is named `tokenName`, and a scratch directory named `dirName`. */
  setUp(tokenName: string, dirName?: string): Promise<{ target: ShipperTarget; d: ShipperDir }>;
}

/** The suite's cleanups; call once at the top of a suite file (it registers the `after` hook). */
export function shipperSuite(): ShipperSuite {
  const cleanups: Cleanup[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const later = (cleanup: Cleanup) => void cleanups.push(cleanup);
  return {
    later,
    track(p) {
      later(() => p.stop());
      return p;
    },
    async setUp(tokenName, dirName = tokenName) {
      const target = await startTarget(tokenName);
      const d = shipperDir(dirName);
      later(() => target.stop());
      later(() => d.remove());
      return { target, d };
    },
  };
}
