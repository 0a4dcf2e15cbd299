/**
 * What every benchmark script shares: its command-line options, a seeded random stream (so runs replay the same
 * traffic and compare), the statistics reported (median, percentile), and the addresses of the test services
 * (`test/.services.env`, written by test/services/up).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = fileURLToPath(new URL('..', import.meta.url));

/** `--name=value` options (a bare `--name` maps to undefined). */
export function benchArgs(argv: string[] = process.argv.slice(2)): Map<string, string | undefined> {
  return new Map(
    argv.map((a) => {
      const [name, ...value] = a.replace(/^--/, '').split('=');
      return [name!, value.length ? value.join('=') : undefined];
    }),
  );
}

/**
 * A deterministic stream of numbers in [0, 1) from a seed (a 32-bit linear congruential generator): not for
 * anything secret, only so every run of a benchmark generates the same events, rules and alerts.
 */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** One element of `list`, chosen by `r`. */
export const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

/** The middle value (the upper middle for an even count); NaN for no values. Does not reorder `xs`. */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
}

/** The nearest-rank `p`th percentile (0 < p ≤ 100) of values already sorted ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The `export NAME=value` lines of test/.services.env (quotes removed); empty when the file is absent. */
export function readServicesEnv(file = join(root, 'test/.services.env')): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  return out;
}
