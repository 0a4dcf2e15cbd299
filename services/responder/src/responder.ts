/**
 * The responder service (docs/ARCHITECTURE.md, "Response"), started by its own process (scale mode: a BullMQ worker
 * beside any number of others) and by the all-in-one process. Its root hands it the responders' queue, the Kubernetes
 * clients and the process's case service (`ResponderDeps`); it opens none of them. Recorded alerts arrive as jobs on
 * the queue, start the runs their playbooks' triggers ask for, and every run advances as jobs too — scheduled again for
 * approval deadlines and retry back-offs — so nothing waits in one process's memory. At start it picks up every active
 * run and the alerts of the last minutes (a notice lost with a crashed process): run ids are deterministic, so this
 * starts nothing twice.
 */
import { fileURLToPath } from 'node:url';
import { ACTIONS, DEFAULT_PROTECTED_NAMESPACES, type ActionContext, type KubeClients } from '@bulwark/actions';
import type { JobQueue } from '@bulwark/bus';
import type { CaseService } from '@bulwark/cases';
import type { Config } from '@bulwark/config';
import type { ResponderDeps, ResponderJob } from '@bulwark/runtime';
import { incidentPort, loadPlaybooks, PlaybookEngine, resolveSecret, type Playbook, type PlaybookProblem } from '@bulwark/playbooks';
import { BulwarkError, type Alert, type Incident } from '@bulwark/schema';
import { engineOutcomes, watchResponder } from './responder-metrics.js';

export type { ResponderJob };

export const BUNDLED_PLAYBOOKS = fileURLToPath(new URL('../../../playbooks/', import.meta.url));
/** Alerts recorded this recently are looked at again when a responder starts. */
const RESCAN_MS = 15 * 60_000;

export interface Responder {
  engine: PlaybookEngine;
  cases: CaseService;
  playbooks: ReadonlyMap<string, Playbook>;
  /** An alert was recorded: start the runs it triggers. */
  onAlert(alertId: string): Promise<void>;
}

export interface ResponderOptions {
  /** Overrides `responder.playbooks_dir` (default: the bundled playbooks). */
  playbooksDir?: string;
  /** Extra action context (tests: allow the loopback recording server). */
  context?: Partial<ActionContext>;
}

export class PlaybookLoadError extends BulwarkError<'BWK_CONFIG_INVALID'> {
  constructor(readonly problems: PlaybookProblem[]) {
    super('BWK_CONFIG_INVALID', `playbooks have problems:\n${problems.map((p) => `  ${p.file}: ${p.path || '(file)'}: ${p.message}`).join('\n')}`, {
      problems,
    });
  }
}

export function actionContextFrom(config: Config, cases: CaseService, kube: KubeClients): Omit<ActionContext, 'dryRun' | 'idempotencyKey' | 'run'> {
  const { responder } = config;
  const publicUrl = responder.public_url?.replace(/\/$/, '');
  return {
    kube,
    // The defaults always count; the configuration adds to them, so a list naming only its own namespaces never
    // unprotects kube-system or bulwark.
    protectedNamespaces: [...new Set([...DEFAULT_PROTECTED_NAMESPACES, ...responder.protected_namespaces])],
    http: { allowHosts: responder.http.allow_hosts, allowCidrs: responder.http.allow_cidrs, timeoutMs: responder.http.timeout },
    ...(responder.smtp
      ? {
          smtp: {
            host: responder.smtp.host,
            port: responder.smtp.port,
            secure: responder.smtp.secure,
            requireTls: responder.smtp.require_tls,
            from: responder.smtp.from,
            ...(responder.smtp.user ? { user: responder.smtp.user } : {}),
            ...(responder.smtp.password_ref ? { passwordRef: responder.smtp.password_ref } : {}),
            ...(responder.smtp.ca_file ? { caFile: responder.smtp.ca_file } : {}),
          },
        }
      : {}),
    secret: resolveSecret,
    incidents: incidentPort(cases, () => 'responder'),
    ...(publicUrl ? { incidentUrl: (id: string) => `${publicUrl}/v1/incidents/${encodeURIComponent(id)}` } : {}),
  };
}

export async function startResponder(deps: ResponderDeps, options: ResponderOptions = {}): Promise<Responder> {
  const { config, caseService: cases, queue, kube } = deps;
  const dir = options.playbooksDir ?? config.responder.playbooks_dir ?? BUNDLED_PLAYBOOKS;
  const loaded = loadPlaybooks([dir], ACTIONS);
  if (loaded.problems.length > 0) throw new PlaybookLoadError(loaded.problems);
  if (kube.server === null) {
    deps.logger.warn('no Kubernetes API configured (KUBECONFIG, ~/.kube/config, in-cluster service account or responder.kube): Kubernetes actions will fail');
  }
  const engine = new PlaybookEngine({
    store: deps.cases,
    playbooks: loaded.playbooks,
    actions: ACTIONS,
    actionContext: { ...actionContextFrom(config, cases, kube), ...options.context },
    timeline: (id, kind, ref, summary) => cases.recordEntry(id, kind, ref, summary),
    limits: { windowMs: config.responder.limits.window, perPlaybook: config.responder.limits.per_playbook, overall: config.responder.limits.overall },
    schedule: (runId, delayMs) => queue.add({ kind: 'run', runId }, delayMs ? { delayMs } : {}),
    logger: deps.logger.child({ component: 'responder' }),
    outcomes: engineOutcomes(deps.metrics),
  });
  watchResponder(deps.metrics, deps.cases, engine.blastRadius);
  const onAlert = async (alertId: string): Promise<void> => {
    const alert = (await deps.cases.get<Alert>('alerts', alertId))?.record;
    if (!alert) return;
    const incident = alert.incident_id ? ((await deps.cases.get<Incident>('incidents', alert.incident_id))?.record ?? null) : null;
    await engine.trigger(alert, incident);
  };
  await queue.process((job) => (job.kind === 'run' ? engine.advance(job.runId) : onAlert(job.alertId)), { concurrency: config.responder.concurrency });
  void resume(deps, engine, queue).catch((err: unknown) => deps.logger.error({ err }, 'the responder could not pick up earlier runs'));
  deps.logger.info({ playbooks: loaded.playbooks.size, dir }, 'responder started');
  return { engine, cases, playbooks: loaded.playbooks, onAlert };
}

async function resume(deps: ResponderDeps, engine: PlaybookEngine, queue: JobQueue<ResponderJob>): Promise<void> {
  for (const runId of await engine.activeRunIds()) await queue.add({ kind: 'run', runId });
  const recent = await deps.cases.query<Alert>('alerts', { sort: { field: 'last_seen', order: 'desc' }, size: 500 });
  const since = Date.now() - RESCAN_MS;
  for (const { record } of recent.items) {
    if (Date.parse(record.last_seen) < since) break;
    await queue.add({ kind: 'alert', alertId: record.id, incidentId: record.incident_id ?? null });
  }
}
