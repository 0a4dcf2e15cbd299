/**
 * Polling for what a real process does in its own time (an alert recorded, a run finished, a policy created): probe
 * until it gives a value, or fail naming what was awaited and the last thing the probe saw or threw.
 */
import assert from 'node:assert/strict';

/** Resolves with the first truthy value `probe` returns; a probe that throws counts as "not yet". */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 30_000, everyMs = 150): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    assert.ok(Date.now() < deadline, `${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
