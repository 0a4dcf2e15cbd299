/**
 * The responder's metrics (catalogue: @bulwark/metrics): runs and steps as they end, counted from the engine's
 * outcomes; runs waiting for a person and the blast-radius breakers, read from the case store when Prometheus scrapes
 * (a count grouped by status and one sorted read of the oldest waiting run — never a walk over runs), so every
 * responder process reports the same shared state.
 */
import type { Metrics } from '@bulwark/metrics';
import type { BlastRadius, EngineOutcomes } from '@bulwark/playbooks';
import type { RunRecord } from '@bulwark/schema';
import type { CaseStore } from '@bulwark/store';

export function engineOutcomes(metrics: Metrics): EngineOutcomes {
  return Object.freeze({
    runEnded: (playbook: string, status: string) => metrics.inc('playbookRuns', { playbook, status }),
    stepEnded: (action: string, result: string) => metrics.inc('playbookActions', { action, result }),
  });
}

export function watchResponder(metrics: Metrics, cases: Pick<CaseStore, 'countBy' | 'query'>, breaker: Pick<BlastRadius, 'state'>, now = Date.now): void {
  const waiting = { record_type: 'run', status: 'waiting_approval' } as const;
  metrics.onScrape('approvalsWaiting', async (set) => {
    const counts = await cases.countBy('runs', 'status', { record_type: 'run' });
    set({}, counts.waiting_approval ?? 0);
  });
  metrics.onScrape('approvalOldestWait', async (set) => {
    const page = await cases.query<RunRecord>('runs', { filter: waiting, sort: { field: 'updated_at', order: 'asc' }, size: 1 });
    const since = page.items[0] ? Date.parse(page.items[0].record.updated_at) : NaN;
    set({}, Number.isFinite(since) ? Math.max(0, (now() - since) / 1000) : 0);
  });
  metrics.onScrape('breakerOpen', async (set) => {
    const { open } = await breaker.state();
    set({ scope: 'overall' }, open.includes('*') ? 1 : 0);
    set({ scope: 'playbook' }, open.filter((p) => p !== '*').length);
  });
}
