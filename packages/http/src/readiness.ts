/**
 * What `/readyz` reports: each dependency this process actually uses, by name (the store, the bus and the responders'
 * queue on Redis, the correlator's consumer), and whether the process is shutting down. The process's root adds a
 * probe when it opens a dependency, so a collector reports its bus and an api without a correlator reports none.
 *
 * While shutting down the answer is 503 even with every dependency up: a load balancer or Kubernetes Service stops
 * sending new requests while the process finishes the ones in flight (docs/ARCHITECTURE.md, "Composition roots").
 */
import { withTimeout } from '@bulwark/schema';

/** Resolves true when the dependency answers; false or a rejection means it does not. */
export type ReadinessProbe = () => Promise<boolean>;

/** One probe's bound: a hung dependency answers "unavailable" instead of holding the orchestrator's probe. */
export const READINESS_PROBE_TIMEOUT_MS = 2_000;

export interface ReadinessReport {
  ready: boolean;
  shuttingDown: boolean;
  /** Each dependency's state, by the name the root gave it. */
  checks: Record<string, 'ok' | 'unavailable'>;
}

export interface Readiness {
  /** Reports `probe` under `name` from now on (a later probe of the same name replaces it). */
  add(name: string, probe: ReadinessProbe): void;
  /** The process is shutting down: report not ready from now on, whatever the dependencies say. */
  drain(): void;
  readonly draining: boolean;
  report(): Promise<ReadinessReport>;
}

export function createReadiness(timeoutMs = READINESS_PROBE_TIMEOUT_MS): Readiness {
  const probes = new Map<string, ReadinessProbe>();
  let draining = false;
  const answer = async (probe: ReadinessProbe): Promise<'ok' | 'unavailable'> => {
    try {
      const work = probe();
      work.catch(() => {});
      return (await withTimeout(work, timeoutMs, () => new Error('probe timed out'))) ? 'ok' : 'unavailable';
    } catch {
      return 'unavailable';
    }
  };
  return {
    add(name, probe) {
      probes.set(name, probe);
    },
    drain() {
      draining = true;
    },
    get draining() {
      return draining;
    },
    async report() {
      const entries = await Promise.all([...probes].map(async ([name, probe]) => [name, await answer(probe)] as const));
      const checks = Object.fromEntries(entries);
      return { ready: !draining && entries.every(([, state]) => state === 'ok'), shuttingDown: draining, checks };
    },
  };
}
