/**
 * One run: status, the steps and their journal, the plan of what would change, the evidence it acts on with its
 * provenance, the blast-radius state (what the limits still allow), the audit trail; and the decisions the session
 * may take: approve / reject (approve scope), cancel / undo (respond), each with a reason; breaker reset (admin).
 */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { StatusBadge, Time } from '../components/badges.js';
import { ProvenanceView } from '../components/provenance.js';
import { JsonView } from '../components/side-panel.js';
import { useLoad } from '../hooks.js';
import { linkClick } from '../router.js';
import { useSession } from '../session.js';
import { showToast } from '../toasts.js';
import type { AuditRecord, Page, Run } from '../types.js';

const ACTIVE = ['pending', 'running', 'waiting_approval', 'undoing'];
const UNDOABLE = ['succeeded', 'failed', 'cancelled', 'rejected'];

interface ResponderStatus {
  playbooks: number;
  breaker: { open: string[]; opened_at: string | null; recent: number; limits: { windowMs: number; perPlaybook: number; overall: number } };
}

export function RunPage({ id }: { id: string }) {
  const { can } = useSession();
  const run = useLoad((signal) => api.get<Run>(`/v1/runs/${enc(id)}`, { signal }), [id], 3000);
  const audit = useLoad((signal) => api.get<Page<AuditRecord>>('/v1/audit', { query: { run_id: id, size: 200 }, signal }), [id, run.data?.updated_at]);
  const status = useLoad((signal) => api.get<ResponderStatus>('/v1/responder/status', { signal }), [id, run.data?.status]);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const r = run.data;
  if (!r) return <p>{run.error ? 'The run could not be read.' : 'Loading…'}</p>;

  const waiting = r.steps.find((s) => s.status === 'waiting_approval');
  const decide = async (what: 'approve' | 'reject' | 'cancel' | 'undo') => {
    setBusy(true);
    try {
      const body = { ...(reason.trim() ? { comment: reason.trim() } : {}), ...(waiting && (what === 'approve' || what === 'reject') ? { step: waiting.id } : {}) };
      await api.post(`/v1/runs/${enc(r.id)}/${what}`, body);
      showToast(`${what}: done`);
      setReason('');
      await run.reload();
    } catch {
      // toast from api.ts
    } finally {
      setBusy(false);
    }
  };
  const resetBreaker = async () => {
    try {
      await api.post('/v1/responder/breaker/reset', {});
      showToast('Breaker reset');
      void status.reload();
    } catch {
      // toast from api.ts
    }
  };
  const plans = r.steps.filter((s) => s.plan !== null && s.plan !== undefined);
  const breaker = status.data?.breaker;

  return (
    <section class="run">
      <p class="crumbs">
        <a href="/console/runs" onClick={linkClick}>
          Runs
        </a>{' '}
        / {r.id}
      </p>
      <h1>
        {r.playbook} {r.dry_run ? '(dry run)' : ''}
      </h1>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge value={r.status} testId="run-status" />
          </dd>
        </div>
        <div>
          <dt>Requested by</dt>
          <dd>
            {r.trigger.kind}: {r.trigger.actor}
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <Time iso={r.created_at} />
          </dd>
        </div>
        <div>
          <dt>Incident</dt>
          <dd>
            {r.trigger.incident_id ? (
              <a href={`/console/incidents/${enc(r.trigger.incident_id)}`} onClick={linkClick}>
                {r.trigger.incident_id}
              </a>
            ) : (
              '—'
            )}
          </dd>
        </div>
        <div>
          <dt>Separation of duties</dt>
          <dd>{r.separation_of_duties ? 'the requester may not approve' : 'off'}</dd>
        </div>
        {r.error ? (
          <div>
            <dt>Error</dt>
            <dd class="error">{r.error}</dd>
          </div>
        ) : null}
      </dl>

      {waiting ? (
        <div class="approval" role="region" aria-label="Waiting for approval">
          <h2>Waiting for approval: step {waiting.id}</h2>
          <p>
            {waiting.action} · reason: {waiting.approval?.reason.replace(/_/g, ' ')}
            {waiting.approval?.why ? ` — ${waiting.approval.why}` : ''} · approvers: {waiting.approval?.approvers.join(', ')}
            {waiting.approval?.deadline ? (
              <>
                {' '}
                · default <strong>{waiting.approval.default}</strong> at <Time iso={waiting.approval.deadline} />
              </>
            ) : null}
          </p>
        </div>
      ) : null}

      <div class="decisions" role="group" aria-label="Decisions">
        <label for="reason">Reason</label>
        <input id="reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} placeholder="why (recorded in the audit trail)" />
        {can('approve') && waiting ? (
          <>
            <button type="button" class="primary" disabled={busy} onClick={() => decide('approve')}>
              Approve
            </button>
            <button type="button" disabled={busy} onClick={() => decide('reject')}>
              Reject
            </button>
          </>
        ) : null}
        {can('respond') && ACTIVE.includes(r.status) && r.status !== 'undoing' ? (
          <button type="button" disabled={busy} onClick={() => decide('cancel')}>
            Cancel
          </button>
        ) : null}
        {can('respond') && UNDOABLE.includes(r.status) && !r.dry_run ? (
          <button type="button" disabled={busy} onClick={() => decide('undo')}>
            Undo
          </button>
        ) : null}
        {!can('respond') && !can('approve') ? <span class="muted">Read-only session: no decisions.</span> : null}
      </div>

      <h2>Plan</h2>
      <div data-testid="plan">
        {plans.length ? (
          plans.map((s) => (
            <div key={s.id} class={s.id === waiting?.id ? 'plan current' : 'plan'}>
              <h3>
                {s.id} · {s.action}
              </h3>
              <JsonView value={s.plan} label={`Plan of step ${s.id}`} />
            </div>
          ))
        ) : null}
        {waiting && (waiting.plan === null || waiting.plan === undefined) ? (
          <div class="plan current">
            <h3>
              {waiting.id} · {waiting.action} — what it will be asked to do
            </h3>
            <p class="muted">The action records its exact plan when it runs; these are its resolved parameters.</p>
            <JsonView value={{ action: waiting.action, params: waiting.params }} label={`Parameters of step ${waiting.id}`} />
          </div>
        ) : null}
        {!plans.length && !waiting ? <p class="muted">No plan recorded yet.</p> : null}
      </div>

      <h2>Blast radius</h2>
      {breaker ? (
        <div data-testid="blast-radius">
          <p>
            Breaker: <strong>{breaker.open.length ? `open (${breaker.open.join(', ')})` : 'closed'}</strong>
            {breaker.opened_at ? (
              <>
                {' '}
                since <Time iso={breaker.opened_at} />
              </>
            ) : null}
            . {breaker.recent} limited action{breaker.recent === 1 ? '' : 's'} in the last {Math.round(breaker.limits.windowMs / 60000)} min; limits{' '}
            {breaker.limits.perPlaybook} per playbook, {breaker.limits.overall} overall — {Math.max(0, breaker.limits.overall - breaker.recent)} more allowed now.
          </p>
          {can('admin') && breaker.open.length ? (
            <button type="button" onClick={resetBreaker}>
              Reset breaker
            </button>
          ) : null}
        </div>
      ) : (
        <p class="muted">Loading the responder status…</p>
      )}

      <h2>Evidence</h2>
      {r.evidence ? (
        <div data-testid="run-evidence">
          <p>
            Alert{' '}
            <a href={`/console/alerts/${enc(r.evidence.alert_id)}`} onClick={linkClick}>
              {r.evidence.alert_id}
            </a>{' '}
            · {r.evidence.rule.name} · {r.evidence.severity} · {r.evidence.entity} · {r.evidence.event_count} event(s) ·{' '}
            <strong>{r.evidence.trusted ? 'trusted' : `untrusted: ${r.evidence.reason ?? ''}`}</strong>
          </p>
          <ProvenanceView provenance={r.evidence.provenance as unknown as Record<string, unknown> | null} />
          {r.evidence.untrusted_inputs.length ? <p class="warn">Inputs from caller-chosen fields: {r.evidence.untrusted_inputs.join(', ')}</p> : null}
        </div>
      ) : (
        <p class="muted">Started by hand without an alert.</p>
      )}

      <h2>Steps</h2>
      <table class="steps">
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Action</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Started</th>
            <th scope="col">Finished</th>
            <th scope="col">Summary</th>
          </tr>
        </thead>
        <tbody>
          {r.steps.map((s) => (
            <tr key={s.id} data-testid="run-step" data-step-id={s.id} data-status={s.status}>
              <td>{s.id}</td>
              <td>
                <code>{s.action}</code>
              </td>
              <td>
                <StatusBadge value={s.status} />
              </td>
              <td>{s.attempts}</td>
              <td>
                <Time iso={s.started_at} />
              </td>
              <td>
                <Time iso={s.finished_at} />
              </td>
              <td>
                {s.summary ?? ''}
                {s.error ? <span class="error"> {s.error}</span> : null}
                {s.undo_summary ? <span class="muted"> undone: {s.undo_summary}</span> : null}
                {s.approval?.decision ? (
                  <span class="muted">
                    {' '}
                    {s.approval.decision} by {s.approval.decided_by}
                    {s.approval.comment ? ` (“${s.approval.comment}”)` : ''}
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Journal</h2>
      <JsonView value={{ inputs: r.inputs, steps: r.steps.map(({ id, params, outputs, undo }) => ({ id, params, outputs, undo })) }} label="Journal" />

      <h2>Audit</h2>
      <ol class="audit" data-testid="audit">
        {(audit.data?.items ?? []).map((a) => (
          <li key={a.id}>
            <Time iso={a.at} /> <strong>{a.actor}</strong> <code>{a.action}</code> {a.summary}
            {a.action === 'evidence.capture' ? (
              <>
                {' '}
                <a href={`/v1/evidence/${enc(a.id)}`} target="_blank" rel="noopener">
                  evidence
                </a>
              </>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
