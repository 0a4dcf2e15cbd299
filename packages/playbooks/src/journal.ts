/**
 * The run journal in the CaseStore's `runs` collection. Every change is a read-modify-write guarded by the record's
 * version: two responders (or a responder and a person's cancel) never overwrite each other; the loser re-reads and
 * applies its change to what is there now, or finds it no longer applies.
 */
import { BulwarkError, type RunRecord, type StepJournal } from '@bulwark/schema';
import type { CaseStore, Versioned } from '@bulwark/store';

export class RunJournal {
  constructor(private readonly store: CaseStore) {}

  async get(id: string): Promise<Versioned<RunRecord> | null> {
    const found = await this.store.get<RunRecord>('runs', id);
    return found && found.record.record_type === 'run' ? found : null;
  }

  async require(id: string): Promise<Versioned<RunRecord>> {
    const found = await this.get(id);
    if (!found) throw new BulwarkError('BWK_NOT_FOUND', `no run ${JSON.stringify(id)}`, { id });
    return found;
  }

  /** Stores a new run; false (and the stored one) when a run with that id exists. */
  async create(run: RunRecord): Promise<{ created: boolean; run: RunRecord }> {
    const result = await this.store.create('runs', run, { ifAbsent: true });
    return { created: result.created, run: result.record };
  }

  /**
   * Applies `change` to the current record until it commits. `change` returns null when it no longer applies (the run
   * moved on meanwhile): nothing is written and null is returned.
   */
  async mutate(id: string, change: (run: RunRecord) => RunRecord | null): Promise<RunRecord | null> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.require(id);
      const next = change(structuredClone(current.record));
      if (!next) return null;
      try {
        await this.store.update('runs', id, next, { expectedVersion: current.version });
        return next;
      } catch (err) {
        if (!(err instanceof BulwarkError) || err.code !== 'BWK_CONFLICT' || attempt >= 30) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
      }
    }
  }

  /** Like `mutate`, for one step. */
  mutateStep(id: string, stepId: string, change: (step: StepJournal, run: RunRecord) => StepJournal | null, runChange?: (run: RunRecord) => void): Promise<RunRecord | null> {
    return this.mutate(id, (run) => {
      const index = run.steps.findIndex((s) => s.id === stepId);
      if (index === -1) return null;
      const next = change(run.steps[index]!, run);
      if (!next) return null;
      run.steps[index] = next;
      runChange?.(run);
      return run;
    });
  }
}
