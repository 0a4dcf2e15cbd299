/**
 * Engine fixtures: a throwaway SQLite case store, the in-process job queue the embedded responder uses, and small
 * actions that record what they were asked to do (the real actions are tested against the real API server, SMTP and
 * HTTP listeners in packages/actions and test/e2e; here the subject is the engine's journal, not an action).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { z } from 'zod';
import { ACTIONS, type AnyAction } from '@bulwark/actions';
import { LocalJobQueue } from '@bulwark/bus';
import { CaseService } from '@bulwark/cases';
import type { RunRecord } from '@bulwark/schema';
import { SqliteCaseStore } from '@bulwark/store';
import { checkPlaybook, incidentPort, PlaybookEngine, type Limits, type Playbook } from '../src/index.js';

export interface Call {
  action: string;
  params: Record<string, unknown>;
  dryRun: boolean;
  key: string | undefined;
  undo?: boolean;
}

/**
 * Actions for engine tests: `test.mark` applies (returns an undo record and outputs; containment: counted against the
 * blast radius), `test.note` records without being counted (like evidence capture or an incident update),
 * `notify.recorded` only tells people (like notify.*), `test.flaky` fails a number of times first.
 */
export function testActions(calls: Call[], failures: Map<string, number> = new Map()): Map<string, AnyAction> {
  const MarkParams = z.strictObject({
    target: z.string().min(1),
    value: z.union([z.string(), z.number()]).optional(),
    delay_ms: z.number().optional(),
    namespace: z.string().optional(),
    url_ref: z.string().optional(),
  });
  const markAs = (name: string, limited: boolean): AnyAction => ({
    name,
    limited,
    description: 'records a mark (engine tests)',
    params: MarkParams,
    rbac: [],
    example: { target: 'x' },
    async run(ctx, input) {
      const params = MarkParams.parse(input); // as real actions do
      if (params.delay_ms) await new Promise((resolve) => setTimeout(resolve, params.delay_ms));
      calls.push({ action: name, params, dryRun: Boolean(ctx.dryRun), key: ctx.idempotencyKey });
      const plan = [{ kind: 'patch' as const, target: `marks/${params.target}`, detail: { value: params.value ?? null } }];
      if (ctx.dryRun) return { changed: false, summary: `would mark ${params.target}`, plan, undo: null };
      return { changed: true, summary: `marked ${params.target}`, plan, undo: { target: params.target }, outputs: { marked: params.target, count: calls.length } };
    },
    async undo(ctx, record: { target: string }) {
      calls.push({ action: name, params: record, dryRun: Boolean(ctx.dryRun), key: ctx.idempotencyKey, undo: true });
      return { changed: true, summary: `unmarked ${record.target}`, plan: [{ kind: 'patch', target: `marks/${record.target}`, detail: null }], undo: null };
    },
  });
  const mark = markAs('test.mark', true);
  const flaky: AnyAction = {
    ...mark,
    name: 'test.flaky',
    async run(ctx, params) {
      const left = failures.get(params.target) ?? 0;
      calls.push({ action: 'test.flaky', params, dryRun: Boolean(ctx.dryRun), key: ctx.idempotencyKey });
      if (left > 0) {
        failures.set(params.target, left - 1);
        throw new Error(`flaky ${params.target} failed`);
      }
      return { changed: true, summary: `flaky ${params.target} ok`, plan: [], undo: { target: params.target } };
    },
  };
  const note = markAs('test.note', false);
  const tell = markAs('notify.recorded', false);
  /** Changes one thing (checkpointed), then fails: a step that fails midway. */
  const partial: AnyAction = {
    ...markAs('test.partial', true),
    async run(ctx, params) {
      calls.push({ action: 'test.partial', params, dryRun: Boolean(ctx.dryRun), key: ctx.idempotencyKey });
      await ctx.checkpoint?.({ target: params.target });
      throw new Error(`partial ${params.target} failed after its first change`);
    },
  };
  return new Map([...ACTIONS, [mark.name, mark], [flaky.name, flaky], [note.name, note], [tell.name, tell], [partial.name, partial]]);
}

export function playbookFrom(yaml: string, actions: ReadonlyMap<string, AnyAction>): Playbook {
  const { playbook, problems } = checkPlaybook(yaml, 'test.yml', actions);
  if (!playbook || problems.length > 0) throw new Error(`bad test playbook: ${JSON.stringify(problems)}`);
  return playbook;
}

export interface EngineFixture {
  store: SqliteCaseStore;
  cases: CaseService;
  engine: PlaybookEngine;
  calls: Call[];
  failures: Map<string, number>;
  /** Waits until the run satisfies `done` (polling the journal), or fails after `timeoutMs`. */
  waitFor(runId: string, done: (run: RunRecord) => boolean, timeoutMs?: number): Promise<RunRecord>;
  /** Another engine (another responder) on the same store. */
  second(): PlaybookEngine;
  close(): Promise<void>;
}

export async function engineFixture(playbookYaml: string[], limits: Partial<Limits> = {}, protectedNamespaces?: string[]): Promise<EngineFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-playbooks-'));
  const store = new SqliteCaseStore({ path: join(dir, 'cases.db') });
  await store.init();
  const cases = new CaseService(store);
  const calls: Call[] = [];
  const failures = new Map<string, number>();
  const actions = testActions(calls, failures);
  const playbooks = new Map(playbookYaml.map((y) => playbookFrom(y, actions)).map((p) => [p.name, p]));
  const queues: LocalJobQueue<string>[] = [];
  const make = (): PlaybookEngine => {
    const queue = new LocalJobQueue<string>();
    queues.push(queue);
    const engine: PlaybookEngine = new PlaybookEngine({
      store,
      playbooks,
      actions,
      actionContext: { kube: null as never, incidents: incidentPort(cases, () => 'responder'), ...(protectedNamespaces ? { protectedNamespaces } : {}) },
      timeline: (id, kind, ref, summary) => cases.recordEntry(id, kind, ref, summary),
      limits: { windowMs: 60_000, perPlaybook: 1000, overall: 1000, ...limits },
      schedule: (runId, delayMs) => queue.add(runId, delayMs ? { delayMs } : {}),
      logger: pino({ level: 'silent' }),
    });
    void queue.process((runId) => engine.advance(runId), { concurrency: 4 });
    return engine;
  };
  const engine = make();
  return {
    store,
    cases,
    engine,
    calls,
    failures,
    async waitFor(runId, done, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = (await engine.journal.require(runId)).record;
        if (done(run)) return run;
        if (Date.now() > deadline) throw new Error(`run ${runId} did not get there: ${JSON.stringify({ status: run.status, steps: run.steps.map((s) => [s.id, s.status, s.error]) })}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    second: make,
    async close() {
      for (const queue of queues) await queue.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
