/**
 * The responder's decision routes (docs/ARCHITECTURE.md, "Separation of duties") on a real app (SQLite, the in-process
 * queue) with tokens in the real token store: approving needs `approve` (respond alone is refused), the requester of a
 * run cannot approve it with any token of their name — admin included — a second person can, and both are in the audit
 * trail; resetting the breaker needs admin. The step's side effect is a real HTTP call to a local server, made only
 * once approved.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { loadConfig } from '@bulwark/config';
import { errorHandler, mintToken } from '@bulwark/http';
import { caseServiceFrom, openCases, openCore, openResponderQueueFor, responderDeps, responderHttpDeps, type Core } from '@bulwark/runtime';
import type { CaseStore } from '@bulwark/store';
import type { AlertInput } from '@bulwark/schema';
import { responderRouter, startResponder, type Responder } from '../src/index.js';

const PLAYBOOKS = {
  'call-out.yml': `
name: call-out
description: one outgoing call, approved by a person
inputs:
  base: { type: string }
steps:
  - id: call
    action: http.request
    with: { method: POST, url: '{{ inputs.base }}/hook', body: { ok: true } }
    approval: { approvers: [approve] }
`,
  'auto-call.yml': `
name: auto-call
description: calls out for critical alerts (containment by default, so gated on trust)
trigger: { rules: [breach] }
inputs:
  pod: { from: [alert.annotations.pod_name, alert.entity.value] }
  base: { default: 'http://127.0.0.1:1' }
steps:
  - id: call
    action: http.request
    with: { method: POST, url: '{{ inputs.base }}/{{ inputs.pod }}' }
`,
};

describe('responder routes: who may decide', () => {
  let dir: string;
  let core: Core;
  let cases: CaseStore;
  let responder: Responder;
  let server: Server;
  let hooks: Server;
  let url: string;
  let hookUrl: string;
  const calls: string[] = [];
  const tokens: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-rsp-decide-'));
    mkdirSync(join(dir, 'playbooks'));
    for (const [file, text] of Object.entries(PLAYBOOKS)) writeFileSync(join(dir, 'playbooks', file), text);
    hooks = createServer((req, res) => {
      calls.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    const config = loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_PORT: '0' });
    core = await openCore(config, pino({ level: 'silent' }));
    cases = await openCases(core);
    const people: Array<[string, string, string[]]> = [
      ['bob', 'bob', ['respond', 'read']],
      ['bob-laptop', 'bob', ['approve']],
      ['bob-admin', 'bob', ['admin']],
      ['alice', 'alice', ['approve', 'read']],
      ['carol-respond', 'carol', ['respond']],
      ['admin', 'root', ['admin']],
    ];
    for (const [key, name, scopes] of people) {
      const { secret, stored } = mintToken(name, scopes);
      await core.tokens.put(stored);
      tokens[key] = secret;
    }
    const caseService = caseServiceFrom(config, cases, null);
    const deps = responderDeps(core, caseService, openResponderQueueFor(core), { server: null } as never);
    responder = await startResponder(deps, { playbooksDir: join(dir, 'playbooks'), context: { http: { allowHosts: ['127.0.0.1'], allowCidrs: ['127.0.0.0/8'] } } });
    const app = express();
    app.use(responderRouter(responderHttpDeps(core, cases), responder));
    app.use(errorHandler(core.logger));
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await new Promise((resolve) => hooks?.close(resolve));
    await core?.lifetime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (path: string, token: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const until = async (id: string, done: (run: any) => boolean) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const run = (await call(`/v1/runs/${id}`, tokens.admin!)).body;
      if (done(run)) return run;
      assert.ok(Date.now() < deadline, `run ${id}: ${JSON.stringify(run.steps)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('respond cannot approve; the requester cannot, with any token of their name; a second person can; audit names both', async () => {
    const started = await call('/v1/playbooks/call-out/run', tokens.bob!, { inputs: { base: hookUrl } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.id as string;
    assert.equal(started.body.trigger.actor, 'bob');
    assert.match(started.body.trigger.token_id, /^[0-9a-f]{16}$/);
    const waiting = await until(id, (r) => r.status === 'waiting_approval');
    assert.deepEqual(waiting.steps[0].params, { method: 'POST', url: `${hookUrl}/hook`, body: { ok: true } }, 'the plan to approve');

    const respondOnly = await call(`/v1/runs/${id}/approve`, tokens['carol-respond']!, {});
    assert.deepEqual([respondOnly.status, respondOnly.body.error.code], [403, 'BWK_AUTH_FORBIDDEN']);
    assert.equal((await call(`/v1/runs/${id}/approve`, tokens.bob!, {})).status, 403, "bob's own token lacks approve");
    for (const key of ['bob-laptop', 'bob-admin']) {
      const self = await call(`/v1/runs/${id}/approve`, tokens[key]!, { comment: 'looks fine to me' });
      assert.deepEqual([self.status, self.body.error.code], [403, 'BWK_SELF_APPROVAL'], key);
    }
    assert.deepEqual(calls, [], 'nothing was called before a second person approved');

    const approved = await call(`/v1/runs/${id}/approve`, tokens.alice!, { comment: 'checked' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const done = await until(id, (r) => r.status === 'succeeded');
    assert.deepEqual(calls, ['/hook']);
    assert.equal(done.steps[0].approval.decided_by, 'alice');

    const audit = await cases.query<{ id: string } & Record<string, unknown>>('audit', { filter: { run_id: id }, size: 50 });
    const byAction = (action: string, result: string) => audit.items.map((i) => i.record).filter((r) => r.action === action && r.result === result);
    const [decision] = byAction('run.approve', 'approved');
    assert.deepEqual([decision!.actor, decision!.requested_by, decision!.comment], ['alice', 'bob', 'checked']);
    assert.equal(byAction('run.approve', 'refused').length, 2);
    const [acted] = byAction('action.http.request', 'succeeded');
    assert.deepEqual([acted!.requested_by, acted!.approved_by], ['bob', 'alice']);
  });

  it('an automatic run on an external alert waits for a person; its evidence and provenance are in the run', async () => {
    const now = new Date().toISOString();
    const alert: AlertInput = {
      id: 'ext-1',
      rule: { id: 'breach', name: 'breach', level: 'critical', tags: [] },
      severity: 'critical',
      entity: { kind: 'workload', namespace: 'prod', value: 'web-9' },
      event_ids: [],
      first_seen: now,
      last_seen: now,
      source: 'api',
      provenance: { origin: 'external', sources: ['external'], received_at: now, token: { id: 'tok-x', name: 'monitoring' }, route: '/v1/alerts', untrusted: ['entity', 'annotations', 'labels'] },
    };
    await responder.cases.recordAlert(alert, 'test');
    await responder.onAlert('ext-1');
    const runs = (await call('/v1/runs?playbook=auto-call', tokens.admin!)).body.items as any[];
    assert.equal(runs.length, 1);
    const run = await until(runs[0].id, (r) => r.status === 'waiting_approval');
    assert.equal(run.trigger.actor, 'responder');
    assert.equal(run.steps[0].approval.reason, 'untrusted_evidence');
    assert.equal(run.evidence.trusted, false);
    assert.deepEqual(run.evidence.provenance.token, { id: 'tok-x', name: 'monitoring' });
    assert.equal(calls.length, 1, 'no call to the target the alert named');
  });

  it('resetting the breaker needs admin, and is audited with the token', async () => {
    const refused = await call('/v1/responder/breaker/reset', tokens['carol-respond']!, {});
    assert.deepEqual([refused.status, refused.body.error.code], [403, 'BWK_AUTH_FORBIDDEN']);
    const ok = await call('/v1/responder/breaker/reset', tokens.admin!, {});
    assert.equal(ok.status, 200);
    const audit = await cases.query<{ id: string } & Record<string, unknown>>('audit', { filter: { action: 'responder.breaker_reset' }, size: 10 });
    assert.equal(audit.items.length, 1);
    assert.equal(audit.items[0]!.record.actor, 'root');
    assert.match(String(audit.items[0]!.record.actor_token), /^[0-9a-f]{16}$/);
  });
});
